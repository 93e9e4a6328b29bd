/**
 * A test-only hub process: the real hub composition (Hub + hubTunnelService, as `sbc-agent hub`
 * runs it) with an echo hook that the real command does not have: every stream message and every
 * datagram an agent sends comes back on the same stream or channel. Reports JSON lines on stdout.
 *
 *   node integ-hub.js --state-dir DIR --config FILE
 *   stdin: {"cmd":"quit"}
 */
import { createInterface } from 'node:readline';
import { createLogger } from '../../src/core/index.js';
import { loadConfig } from '../../src/config/index.js';
import { Hub } from '../../src/hub.js';
import { hubTunnelService } from '../../src/hub-tunnel.js';
import type { TunnelSession } from '../../src/tunnel/index.js';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? undefined : argv[at + 1];
};

function say(event: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
}

function echo(session: TunnelSession): void {
  session.on('stream', (stream) => {
    stream.on('data', (d) => stream.write(d));
    stream.on('end', () => stream.end());
  });
  session.on('channel', (channel) => channel.on('datagram', (d) => channel.send(d)));
}

const stateDir = arg('state-dir');
if (stateDir === undefined) throw new Error('integ-hub needs --state-dir');
const config = await loadConfig(arg('config'));
const logger = createLogger({ level: config.log.level });
const hub = await Hub.open({ config, stateDir, logger });
const tunnel = hubTunnelService({ state: hub.state, config: config.hub, clock: hub.clock, logger });
hub.add(tunnel);
tunnel.server.on('session', (s) => {
  echo(s);
  // The session's carriage is attached right after this event.
  s.once('open', () => say('session', { identity: s.peerIdentity, carriage: s.stats().peer?.carriage }));
});
tunnel.server.on('refused', (r) => say('refused', { reason: r.goAway.reason, message: r.goAway.message }));
await hub.start();
say('listening', { listeners: hub.listeners(), fingerprint: hub.state.fingerprint });
const rl = createInterface({ input: process.stdin });
const quit = (): void => {
  void hub.close().then(() => process.exit(0));
};
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const cmd = JSON.parse(line) as { cmd: string };
  if (cmd.cmd === 'quit') quit();
});
rl.on('close', quit);
process.once('SIGTERM', quit);
