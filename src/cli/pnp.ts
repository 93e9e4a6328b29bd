/**
 * `sbc-agent pnp`: LAN plug-and-play as a process of its own (the agent's composition root will
 * run the same parts): the multicast responder on every LAN interface, the phone inbox in the
 * state directory, and the provisioning relay. Runs until SIGINT or SIGTERM, then prints its
 * counters as one JSON line.
 *
 * `sbc-agent phones approve` reaches a running responder through the inbox file: the responder
 * watches the state directory (inotify) and re-reads phones.json when it is replaced.
 */
import { isIP } from 'node:net';
import { UsageError, createLogger, realClock, type LogLevel } from '../core/index.js';
import { bindUdp, joinMulticast, resolveLanInterfaces, startHttpServer, type DatagramSocket, type HttpServerHandle } from '../net/index.js';
import { resolveStateDir } from '../platform/index.js';
import { bindExplained } from '../bind-explained.js';
import {
  InboxFile, PNP_POLICIES, PhoneInbox, PnpResponder, ProvisioningRelay, VENDOR_RULES, customRule, folderUpstream, httpUpstream,
  type PnpLan, type PnpPolicy,
} from '../pnp/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { waitForSignal } from './signals.js';
import { reportErrors } from './hub-common.js';

const GROUP = '224.0.1.75';

const USAGE = `Usage: sbc-agent pnp [--listen IF[,IF...]] [--port N] [--url-base URL] [--http-port N]
                     [--upstream URL | --templates DIR] [--state-dir DIR] [--policy inbox|auto|off]

Answers the plug-and-play SUBSCRIBEs of new desk phones (multicast 224.0.1.75) with the URL of
the provisioning relay, keeps the phone inbox, and relays configuration files. Runs until
SIGINT or SIGTERM.

Options:
  --listen IF,...     LAN interfaces (names or IPv4 addresses); default every non-loopback IPv4 interface
  --port N            SIP port: the group port and the unicast answer socket (default 5060)
  --url-base URL      URL handed to phones; {ip} is the agent's address on the phone's LAN,
                      {port} the relay port (default http://{ip}:{port}/)
  --http-port N       provisioning relay port (default 8080)
  --upstream URL      the PBX's provisioning server (http:// or https://) the relay fetches from
  --templates DIR     serve local templates instead ({{mac}}, {{extension}}, {{agent}}, {{sip_port}})
  --insecure-upstream accept an upstream certificate that does not verify
  --substitute RE     extra registrar rule: a regular expression whose first group becomes the agent's address
  --state-dir DIR     where phones.json lives
  --policy P          inbox (answer approved phones only; default), auto (answer everyone), off
  --t1 MS / --t2 MS   NOTIFY retransmission timers (RFC 3261 T1 500, T2 4000)
  --rate-burst N      SUBSCRIBEs one address may send at once (default 10)
  --rate N            SUBSCRIBEs per second one address may send after that (default 5)
  --log-level L       trace, debug, info (default), warn, error, silent
`;

function intOption(args: ReturnType<typeof parseArgs>, name: string, fallback: number, min: number, max: number): number {
  const text = args.values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} '${text}' must be an integer from ${min} to ${max}`);
  return n;
}


async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, {
    values: ['listen', 'port', 'url-base', 'http-port', 'upstream', 'templates', 'substitute', 'state-dir', 'policy', 't1', 't2', 'rate-burst', 'rate', 'log-level'],
    flags: ['insecure-upstream'],
  });
  const policy = args.values.get('policy') ?? 'inbox';
  if (!PNP_POLICIES.includes(policy as PnpPolicy)) throw new UsageError(`--policy '${policy}' is not one of ${PNP_POLICIES.join(', ')}`);
  const port = intOption(args, 'port', 5060, 1, 65535);
  const httpPort = intOption(args, 'http-port', 8080, 0, 65535);
  const t1 = intOption(args, 't1', 500, 1, 60_000);
  const t2 = intOption(args, 't2', Math.max(t1, 8 * t1), t1, 600_000);
  const burst = intOption(args, 'rate-burst', 10, 1, 1_000_000);
  const rate = intOption(args, 'rate', 5, 1, 1_000_000);
  const upstreamUrl = args.values.get('upstream');
  const templates = args.values.get('templates');
  if (upstreamUrl !== undefined && templates !== undefined) throw new UsageError('--upstream and --templates exclude each other');
  if (upstreamUrl !== undefined && !/^https?:\/\//.test(upstreamUrl)) throw new UsageError(`--upstream '${upstreamUrl}' is not an http:// or https:// URL`);
  const substitute = args.values.get('substitute');
  const rules = substitute === undefined ? VENDOR_RULES : [...VENDOR_RULES, customRule('--substitute', substitute)];
  const wanted = (args.values.get('listen') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { interfaces, unknown } = resolveLanInterfaces(wanted);
  if (unknown.length > 0) throw new UsageError(`--listen: no IPv4 interface '${unknown.join("', '")}'`);
  if (interfaces.length === 0) throw new UsageError('no LAN interface: name one with --listen');
  for (const i of interfaces) if (isIP(i.address) !== 4) throw new UsageError(`--listen: ${i.address} is not IPv4`);

  const log = createLogger({ level: (args.values.get('log-level') ?? 'info') as LogLevel });
  const stateDir = resolveStateDir(args.values.get('state-dir'), undefined);
  const file = new InboxFile(stateDir, realClock);
  const inbox = new PhoneInbox(file, policy as PnpPolicy, realClock, log.child({ component: 'pnp-inbox' }));
  inbox.reload();
  const stopWatching = file.watch(() => inbox.reload());

  const sockets: DatagramSocket[] = [];
  const servers: HttpServerHandle[] = [];
  const lans: PnpLan[] = [];
  const stopped = waitForSignal().signal;
  let responder: PnpResponder | undefined;
  let relay: ProvisioningRelay | undefined;
  try {
    for (const i of interfaces) {
      // reuseAddr: the group socket binds the same port on 224.0.1.75 (src/net/multicast.ts).
      const socket = await bindExplained('udp', i.address, port, () => bindUdp({ address: i.address, port, reuseAddr: true }));
      sockets.push(socket);
      lans.push({ address: i.address, netmask: i.netmask, socket });
    }
    const group = await bindExplained('udp', GROUP, port, () => joinMulticast({ group: GROUP, port, interfaceAddresses: interfaces.map((i) => i.address), receiveBufferSize: 4 * 1024 * 1024 }));
    sockets.push(group);
    const r = new PnpResponder({
      clock: realClock, log: log.child({ component: 'pnp' }), inbox, lans,
      url: { base: args.values.get('url-base') ?? 'http://{ip}:{port}/' }, relayPort: httpPort,
      t1Ms: t1, t2Ms: t2, rateLimit: { burst, perSecond: rate },
    });
    responder = r;
    group.onMessage((data, from) => r.handleMulticast(data, from));
    for (const lan of lans) lan.socket.onMessage((data) => r.handleUnicast(data));
    for (const s of sockets) s.onError((error) => log.debug({ err: error.message }, 'pnp socket error'));

    if (upstreamUrl !== undefined || templates !== undefined) {
      const upstream = upstreamUrl !== undefined ? httpUpstream(upstreamUrl, { insecure: args.flags.has('insecure-upstream') }) : folderUpstream(templates ?? '.');
      const rl = new ProvisioningRelay({ upstream, inbox, clock: realClock, log: log.child({ component: 'pnp-relay' }), rules, templates: templates !== undefined, sipPort: port });
      relay = rl;
      for (const i of interfaces) {
        servers.push(await bindExplained('tcp', i.address, httpPort, () => startHttpServer({ host: i.address, port: httpPort, handler: (req) => rl.handle(req), onError: (e) => log.error({ err: String(e) }, 'relay handler failed') })));
      }
    }
    const relayText = servers.length === 0 ? 'off' : servers.map((s) => `http://${s.local.address}:${s.local.port}/`).join(' ');
    io.stdout.write(`pnp: group ${GROUP}:${port} on ${interfaces.map((i) => `${i.name}/${i.address}`).join(' ')}; policy ${policy}; relay ${relayText}; inbox ${file.path}\npnp: ready\n`);
    const signal = await stopped;
    log.info({ signal }, 'pnp stopping');
  } finally {
    stopWatching();
    responder?.close();
    await Promise.all([...sockets.map((s) => s.close()), ...servers.map((s) => s.close())]);
    await inbox.close();
  }
  io.stdout.write(`${JSON.stringify({ pnp: responder?.stats, relay: relay?.stats })}\n`);
  log.flush();
  return EXIT.OK;
}

export const pnpCommand: Command = {
  name: 'pnp',
  summary: 'answer LAN plug-and-play and relay phone provisioning until stopped',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'pnp', () => run(argv, io)),
};
