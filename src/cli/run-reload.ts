/**
 * SIGHUP: agent.yaml read again and applied without dropping a call or the tunnel: the log level,
 * the plug-and-play policy, the provisioning source, the protection settings and the LAN list take
 * effect at once (a LAN taken away ends its own calls, the others keep theirs). What needs other
 * sockets (ports, media range, TLS) is reported as needing a restart. A file that does not load or
 * validate changes nothing, and the log says why.
 */
import { describeError, type Logger } from '../core/index.js';
import type { Agent } from '../agent.js';
import type { ProtectionService } from '../protection-service.js';
import type { TunnelClient } from '../tunnel/index.js';
import type { ParsedArgs } from './args.js';
import { commonContext } from './hub-common.js';
import { resolveRunSettings, type RunSettings } from './run-settings.js';
import { upstreamFor } from './run-upstream.js';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function reloadRun(args: ParsedArgs, current: RunSettings, agent: Agent, tunnel: TunnelClient, logger: Logger, protection?: ProtectionService): Promise<RunSettings> {
  let next: RunSettings;
  let level: string;
  try {
    const { config } = await commonContext(args, 'agent');
    next = await resolveRunSettings(config, args);
    level = config.log.level;
  } catch (error) {
    logger.error({ err: describeError(error) }, 'reload refused: the configuration is not valid; the running configuration stays');
    return current;
  }
  logger.level = level;
  const a = current.agent;
  const b = next.agent;
  if (a.pnp.policy !== b.pnp.policy) agent.setPolicy(b.pnp.policy);
  if (!sameJson(a.protection, b.protection)) protection?.reconfigure(b.protection);
  if (!sameJson(a.pnp.provisioning, b.pnp.provisioning)) {
    const upstream = upstreamFor(b.pnp.provisioning, tunnel);
    agent.setUpstream(upstream.fetcher, upstream.templates);
  }
  if (!sameJson(current.lans.map((l) => l.address), next.lans.map((l) => l.address))) {
    const change = await agent.setLans(next.lans);
    for (const lan of next.lans) if (change.added.includes(lan.address)) logger.info({ lan: lan.name, address: lan.address, reason: lan.reason }, 'serving LAN');
    for (const address of change.removed) logger.info({ address }, 'LAN no longer served');
    for (const f of change.failed) logger.error({ address: f.address, err: describeError(f.error) }, 'cannot serve LAN');
  }
  const needsRestart = [
    !sameJson(a.sip, b.sip) ? 'agent.sip' : '',
    !sameJson(a.media, b.media) ? 'agent.media' : '',
    a.stun.port !== b.stun.port ? 'agent.stun.port' : '',
    a.pnp.httpPort !== b.pnp.httpPort ? 'agent.pnp.httpPort' : '',
    a.pnp.urlBase !== b.pnp.urlBase ? 'agent.pnp.urlBase' : '',
    a.calls !== b.calls ? 'agent.calls' : '',
  ].filter((s) => s !== '');
  if (needsRestart.length > 0) logger.warn({ fields: needsRestart }, 'reloaded; these changes take effect at the next restart');
  logger.info({ policy: b.pnp.policy, provisioning: b.pnp.provisioning.kind, logLevel: level }, 'configuration reloaded');
  // Until a restart the ports stay as bound: keep the ones really served, and the LANs that are.
  return { ...next, lans: agent.lans, tls: current.tls, agent: { ...b, sip: a.sip, media: a.media, calls: a.calls, stun: { ...b.stun, port: a.stun.port }, pnp: { ...b.pnp, httpPort: a.pnp.httpPort, urlBase: a.pnp.urlBase } } };
}
