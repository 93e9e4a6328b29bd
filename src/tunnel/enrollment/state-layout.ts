/**
 * The files each role keeps in its state directory. Hub and agent use separate subfolders, so one
 * machine can run both from the same state directory (the quick-start demo does).
 *
 *   <state>/hub/ca.key ca.crt          the hub CA (ca.key never leaves the hub)
 *   <state>/hub/server.key server.crt  the certificate of the hub's listeners (enrollment, TLS, WSS)
 *   <state>/hub/sbcs.json              the SBC list (sbcs.json.lock while being changed)
 *   <state>/agent/agent.key agent.crt  the agent's key and the certificate the hub CA signed
 *   <state>/agent/hub-ca.crt           the hub CA: the trust anchor for the tunnel
 *   <state>/agent/hub.json             hub addresses, SBC id/name, fingerprints (written last)
 *   <state>/<role>/status.json         refreshed every second by the running process
 */
import { join } from 'node:path';

export interface HubStatePaths {
  readonly dir: string;
  readonly caKey: string;
  readonly caCert: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly sbcList: string;
  readonly sbcListLock: string;
  readonly status: string;
}

export interface AgentStatePaths {
  readonly dir: string;
  readonly key: string;
  readonly cert: string;
  readonly caCert: string;
  readonly hub: string;
  readonly status: string;
}

export function hubStatePaths(stateDir: string): HubStatePaths {
  const dir = join(stateDir, 'hub');
  return {
    dir,
    caKey: join(dir, 'ca.key'),
    caCert: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    sbcList: join(dir, 'sbcs.json'),
    sbcListLock: join(dir, 'sbcs.json.lock'),
    status: join(dir, 'status.json'),
  };
}

export function agentStatePaths(stateDir: string): AgentStatePaths {
  const dir = join(stateDir, 'agent');
  return { dir, key: join(dir, 'agent.key'), cert: join(dir, 'agent.crt'), caCert: join(dir, 'hub-ca.crt'), hub: join(dir, 'hub.json'), status: join(dir, 'status.json') };
}
