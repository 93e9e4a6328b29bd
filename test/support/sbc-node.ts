/**
 * One side of the call path as its own process, for the end-to-end tests (runs inside a network
 * namespace with `ip netns exec`): `node sbc-node.js hub '<json>'` or `... agent '<json>'`.
 * Prints JSON lines (listening, tunnel-open, calls, stats); reads commands on stdin
 * ({"cmd":"calls"}, {"cmd":"quit"}).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Agent } from '../../src/agent.js';
import { createLogger, realClock } from '../../src/core/index.js';
import { sbcHubService } from '../../src/sbc/index.js';

interface Common {
  readonly certs: { readonly key: string; readonly cert: string; readonly ca: string };
  readonly sipAddress: string;
  readonly sipPort: number;
  readonly mediaAddress: string;
  readonly mediaPorts: { readonly min: number; readonly max: number };
}
interface HubConfig extends Common {
  readonly tunnelHost: string;
  readonly tunnelPort: number;
  readonly pbx: { readonly host: string; readonly port: number };
}
interface AgentConfig extends Common {
  readonly identity: string;
  readonly hub: { readonly host: string; readonly port: number };
  readonly tcpPort?: number;
  readonly upstreamExpires?: number;
  readonly callsFile?: string;
}

const say = (event: string, data: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
};
const pem = (path: string): string => readFileSync(path, 'utf8');
const logger = createLogger({ level: (process.env.SBC_LOG_LEVEL as 'info' | undefined) ?? 'warn' });

function commands(handler: (cmd: { cmd: string }) => Promise<void>): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let cmd: { cmd: string };
    try {
      cmd = JSON.parse(line) as { cmd: string };
    } catch {
      return;
    }
    handler(cmd).catch((error: unknown) => say('error', { message: String(error) }));
  });
}

async function hub(c: HubConfig): Promise<void> {
  const service = sbcHubService({
    clock: realClock,
    logger,
    identity: 'hub',
    credentials: { key: pem(c.certs.key), cert: pem(c.certs.cert), ca: pem(c.certs.ca) },
    tunnel: { host: c.tunnelHost, port: c.tunnelPort },
    sip: { address: c.sipAddress, udpPort: c.sipPort },
    pbx: { transport: 'UDP', host: c.pbx.host, port: c.pbx.port },
    mediaAddress: c.mediaAddress,
    mediaPorts: c.mediaPorts,
  });
  service.server.on('session', (s) => say('session', { identity: s.peerIdentity }));
  await service.start();
  say('listening', { listeners: service.listeners() });
  commands(async (cmd) => {
    if (cmd.cmd === 'calls') {
      const sbc = service.sbc();
      say('calls', { report: await sbc?.calls(), counters: sbc?.callPath.counters, tunnels: service.server.sessions().map((s) => s.stats()), rss: process.memoryUsage().rss });
    } else if (cmd.cmd === 'quit') {
      await service.close();
      process.exit(0);
    }
  });
}

async function agent(c: AgentConfig): Promise<void> {
  const a = await Agent.start({
    logger,
    tunnel: { identity: c.identity, credentials: { key: pem(c.certs.key), cert: pem(c.certs.cert), ca: pem(c.certs.ca) }, hub: c.hub },
    sip: { address: c.sipAddress, udpPort: c.sipPort, ...(c.tcpPort === undefined ? {} : { tcpPort: c.tcpPort }) },
    mediaAddress: c.mediaAddress,
    mediaPorts: c.mediaPorts,
    ...(c.upstreamExpires === undefined ? {} : { upstreamExpires: c.upstreamExpires }),
    ...(c.callsFile === undefined ? {} : { callsFile: c.callsFile }),
  });
  a.tunnel.on('open', (e) => say('tunnel-open', { resumed: e.resumed }));
  if (a.tunnel.state === 'open') say('tunnel-open', { resumed: false });
  say('listening', { sip: a.sbc.stack.transport.localAddress('UDP') });
  commands(async (cmd) => {
    if (cmd.cmd === 'calls') {
      say('calls', {
        report: await a.sbc.calls(),
        counters: a.sbc.callPath.counters,
        registrations: a.sbc.registrations.counters(),
        bindings: a.sbc.bindings(),
        tunnel: a.tunnel.stats(),
        rss: process.memoryUsage().rss,
      });
    } else if (cmd.cmd === 'quit') {
      await a.close();
      process.exit(0);
    }
  });
}

const [role, json] = process.argv.slice(2);
const config = JSON.parse(json ?? '{}') as HubConfig & AgentConfig;
(role === 'hub' ? hub(config) : agent(config)).catch((error: unknown) => {
  say('fatal', { message: String(error), stack: error instanceof Error ? error.stack : undefined });
  process.exit(1);
});
