/**
 * The survival rig (survival-rig.ts) WITH a routing model from the hub, for the survival tests
 * with a model (issue 12):
 *
 *   phones NET.1.10, SIPp NET.1.20 ── lan0 NET.1.1 [agent] wan0 NET.2.2 ── NET.2.1 [hub + Kamailio on 127.0.0.1]
 *                                                                       └─ NET.2.5 [ITSP, a SIPp UAS]
 *
 * The model's extensions are Kamailio's users (1001–1003, password "secret", realm pbx.test), an
 * outbound rule 0… → the ITSP as +33…, the ITSP as the branch's local trunk and emergency number
 * 112. The WAN cut drops only what goes to or comes from the hub (the ITSP's line stays). SIPp runs
 * (a phone registering, a BLF watcher, the ITSP answering) are tracked by the rig and killed by
 * its `close()`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS, spawnCollect, type Finished } from './pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD } from './sbc-kamailio.js';
import { SurvivalRig } from './survival-rig.js';

/** The model's extensions are Kamailio's users with Kamailio's password, in Kamailio's realm. */
export function survivalRoutingYaml(sbcName: string, itsp: string): string {
  return `version: 1
realm: ${PBX_DOMAIN}
extensions:
  - { number: "1001", name: Phone A, password: ${PBX_PASSWORD} }
  - { number: "1002", name: Phone B, password: ${PBX_PASSWORD}, emergencyCallerId: "+33123451002" }
  - { number: "1003", name: Desk phone, password: ${PBX_PASSWORD} }
outbound:
  - name: National
    prefixes: ["0"]
    routes: [{ trunk: itsp, strip: 1, prepend: "+33" }]
trunks:
  - { name: itsp, kind: ip, host: ${itsp}, port: 5060, agent: ${sbcName} }
emergencyNumbers: ["112"]
localTrunks:
  ${sbcName}: itsp
`;
}

/** The parts of the agent's `status --json` these tests read. */
export interface ModelAgentStatus {
  readonly tunnels: readonly { readonly state: string }[];
  readonly parts: { readonly routing?: { readonly version: number }; readonly survival?: { readonly mode: string; readonly reason: string } };
}

export type SippRun = Finished & { readonly trace: string };

export interface ModelRig {
  readonly rig: SurvivalRig;
  readonly addr: { readonly sippPhone: string; readonly watcher: string; readonly itsp: string };
  /** The agent's whole log so far. */
  log(): string;
  statusUntil(ok: (s: ModelAgentStatus) => boolean, what: string, timeoutMs: number): Promise<ModelAgentStatus>;
  /** A SIPp run in namespace `netns` (`args` after the scenario, one call), its -trace_msg text with it. */
  sipp(name: string, netns: string, scenario: string, args: readonly string[]): Promise<SippRun>;
  /** The ITSP behind the local trunk answering one call. */
  itsp(name: string): Promise<SippRun>;
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export interface ModelRigOptions {
  readonly prefix: string;
  readonly net: string;
  readonly sbcName: string;
  /** agent.yaml's `survival:` value, e.g. `{ holdDown: 10s }`. */
  readonly agentSurvival: string;
  /** agent.yaml's media port range. Default 31000–31199. */
  readonly mediaPorts?: readonly [number, number];
}

/** The rig started with the model, the agent in normal mode with routing version 1. */
export async function startModelRig(o: ModelRigOptions): Promise<ModelRig> {
  const addr = { sippPhone: `${o.net}.1.20`, watcher: `${o.net}.1.21`, itsp: `${o.net}.2.5` };
  const [min, max] = o.mediaPorts ?? [31000, 31199];
  const rig = await SurvivalRig.start({
    prefix: o.prefix, net: o.net, sbcName: o.sbcName, wanCut: 'hub',
    lanAddresses: [`${addr.sippPhone}/24`, `${addr.watcher}/24`], hubAddresses: [`${addr.itsp}/24`],
    files: { 'routing.yaml': survivalRoutingYaml(o.sbcName, addr.itsp) }, hubExtra: '  routing: routing.yaml\n',
    agentYaml: `log:\n  level: info\nagent:\n  calls: auto\n  survival: ${o.agentSurvival}\n  media:\n    ports: { min: ${min}, max: ${max} }\n  pnp:\n    provisioning: off\n`,
  });
  const m: ModelRig = {
    rig,
    addr,
    log: () => rig.agent?.stderr ?? '',
    statusUntil: (ok, what, timeoutMs) => rig.agentStatusUntil(ok, what, timeoutMs),
    sipp(name, netns, scenario, args) {
      const log = join(rig.dir, `${name}.log`);
      const run = spawnCollect('ip', [
        'netns', 'exec', netns, 'sipp', ...args, '-sf', join(SCENARIOS, scenario), '-m', '1', '-nostdin', '-timeout_error',
        '-trace_msg', '-message_file', log, '-trace_err', '-error_file', join(rig.dir, `${name}.err`),
      ], rig.dir);
      rig.track(run.child);
      return run.done.then((f) => ({ ...f, trace: readText(log) }));
    },
    itsp: (name) => m.sipp(name, rig.ns.hub, 'local-itsp-uas.xml', ['-i', addr.itsp, '-p', '5060', '-timeout', '60s']),
  };
  try {
    await m.statusUntil((s) => s.parts.survival?.mode === 'normal' && s.parts.routing?.version === 1, 'normal mode with the routing model', 20_000);
  } catch (e) {
    await rig.close();
    throw e;
  }
  return m;
}
