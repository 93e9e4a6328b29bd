/**
 * Issue 17 ("What must be shown" 6): the mistakes an operator makes, as one table. Each row is a
 * command line and what it needs set up, the exit code the README documents for it (never 1: that
 * means a bug) and the words of the message; rows that must leave nothing behind say what must not
 * exist afterwards (no new CA, no state folder, no lock). One real hub process on 127.0.0.1 serves
 * the rows that meet a running hub; everything binds on loopback, and the one row that needs DNS
 * runs in a network namespace of its own with nothing but loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliHub, type CliHub } from '../support/cli-hub.js';
import { MAIN } from '../support/integ-process.js';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** `sbc-agent ARGS`, with extra environment variables, or under a wrapper (`unshare --net --`). */
function sbc(args: readonly string[], env: Readonly<Record<string, string>> = {}, wrapper: readonly string[] = []): Promise<Result> {
  const started = Date.now();
  const [file, ...rest] = [...wrapper, process.execPath, MAIN, ...args];
  return new Promise((resolve) => {
    const child = execFile(file ?? process.execPath, rest, { timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    () => true,
    () => readFile(path).then(() => true, () => false),
  );
}

let dir: string;
let hub: CliHub;
let heldTcp: Server;
let heldUdp: Socket;
let tcpPort: number;
let udpPort: number;
/** A UDP port nothing listens on: the kernel answers ICMP port unreachable. */
let closedUdp: number;
/** The running hub's tunnel listeners (its enrollment port is any free one). */
const RUNNING = 'log:\n  level: warn\nhub:\n  tunnel: { listen: 127.0.0.1, port: 24090 }\n  wss: { listen: 127.0.0.1, port: 24443 }\n';
/** For the hubs that must fail: ports nobody holds, so that only the row's own mistake stops them. */
const SPARE = 'log:\n  level: warn\nhub:\n  tunnel: { listen: 127.0.0.1, port: 24091 }\n  wss: { listen: 127.0.0.1, port: 24444 }\n';
let hubKeys: string[];

async function keyMaterial(state: string): Promise<string[]> {
  return Promise.all(['ca.key', 'ca.crt', 'server.key', 'server.crt'].map((f) => readFile(join(state, 'hub', f), 'utf8')));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-mistakes-'));
  hub = await startCliHub({ dir, yaml: RUNNING });
  await writeFile(at('spare.yaml'), SPARE);
  hubKeys = await keyMaterial(hub.state);
  heldTcp = createServer();
  await new Promise<void>((resolve) => heldTcp.listen(0, '127.0.0.1', resolve));
  tcpPort = (heldTcp.address() as { port: number }).port;
  heldUdp = createSocket('udp4');
  await new Promise<void>((resolve) => heldUdp.bind(0, '127.0.0.1', resolve));
  udpPort = heldUdp.address().port;
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  closedUdp = probe.address().port;
  await new Promise<void>((resolve) => probe.close(resolve));
});

after(async () => {
  await hub.process.stop();
  await new Promise((resolve) => heldTcp.close(resolve));
  await new Promise<void>((resolve) => heldUdp.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

interface Mistake {
  readonly name: string;
  /** The command line, built once the setup has run (ports and folders are known then). */
  readonly argv: () => readonly string[];
  readonly setup?: () => Promise<void>;
  readonly env?: Readonly<Record<string, string>>;
  readonly wrapper?: readonly string[];
  readonly exit: number;
  /** Matched against stderr and stdout together. */
  readonly message: RegExp;
  /** Paths that must not exist afterwards. */
  readonly absent?: () => readonly string[];
  /** Anything else to check on the result. */
  readonly check?: (r: Result) => void | Promise<void>;
}

const at = (name: string): string => join(dir, name);

const MISTAKES: readonly Mistake[] = [
  {
    name: 'a second hub on the running hub\'s enrollment port',
    argv: () => ['hub', '--state-dir', at('second-hub'), '--config', at('spare.yaml'), '--listen', '127.0.0.1', '--enroll-port', hub.enrollment.split(':')[1] ?? ''],
    exit: 19,
    message: /cannot listen on tcp 127\.0\.0\.1:\d+: the port is in use; see hub\.enrollment \(held by pid \d+/,
    absent: () => [at('second-hub')],
  },
  {
    name: 'a hub whose tunnel port is taken',
    setup: () => writeFile(at('taken.yaml'), `log:\n  level: warn\nhub:\n  tunnel: { listen: 127.0.0.1, port: ${tcpPort} }\n  wss: { listen: 127.0.0.1, port: 24444 }\n`),
    argv: () => ['hub', '--state-dir', at('taken-hub'), '--config', at('taken.yaml'), '--listen', '127.0.0.1', '--enroll-port', '0'],
    exit: 19,
    message: /cannot listen on tcp 127\.0\.0\.1:\d+: the port is in use; see hub\.tunnel/,
    absent: () => [at('taken-hub')],
  },
  {
    name: 'a PBX-side SIP address (hub.sip.listen) not on this machine',
    setup: () => writeFile(at('hub-pbx.yaml'), `${SPARE}  pbx: { host: 127.0.0.1, port: 5060 }\n  sip: { listen: 192.0.2.77, port: 5070 }\n  media: { address: 127.0.0.1, ports: { min: 30000, max: 30009 } }\n`),
    argv: () => ['hub', '--state-dir', at('pbx-hub'), '--config', at('hub-pbx.yaml'), '--enroll-port', '0'],
    exit: 19,
    message: /cannot listen on udp 192\.0\.2\.77:5070: the address is not on this machine; see hub\.sip/,
    absent: () => [at('pbx-hub')],
  },
  {
    name: 'demo with a port in use',
    argv: () => ['demo', '--once', '--state-dir', at('demo'), '--enroll-port', String(tcpPort), '--tunnel-port', '0', '--wss-port', '0'],
    exit: 19,
    message: /cannot listen on tcp 127\.0\.0\.1:\d+: the port is in use.*choose other ports with --enroll-port/,
    absent: () => [join(at('demo'), 'hub', 'ca.key')],
  },
  {
    name: 'pnp on a SIP port in use',
    argv: () => ['pnp', '--listen', 'lo', '--port', String(udpPort), '--state-dir', at('pnp')],
    exit: 19,
    message: /cannot listen on udp 127\.0\.0\.1:\d+: the port is in use/,
  },
  {
    name: 'a default state folder that cannot be created ($STATE_DIRECTORY under a file)',
    argv: () => ['hub', '--config', at('spare.yaml'), '--listen', '127.0.0.1', '--enroll-port', '0'],
    env: { STATE_DIRECTORY: '/dev/null/sbc-agent' },
    exit: 4,
    message: /\/dev\/null\/sbc-agent\/hub: cannot create the state directory \(ENOTDIR\)/,
  },
  {
    name: 'the phone inbox in a state folder that cannot be created',
    argv: () => ['phones'],
    env: { STATE_DIRECTORY: '/dev/null/sbc-agent' },
    exit: 4,
    message: /\/dev\/null\/sbc-agent\/phones\.json: cannot open \(ENOTDIR\); check the path/,
  },
  {
    name: 'an admin command on a state folder with no hub (a typo)',
    argv: () => ['hub', 'list-sbc', '--state-dir', at('typo')],
    exit: 4,
    message: /no hub in \S+typo: run 'sbc-agent hub' there first or give the hub's --state-dir/,
    absent: () => [at('typo')],
  },
  {
    name: 'a corrupt sbcs.json',
    setup: async () => {
      await mkdir(join(at('hub-corrupt'), 'hub'), { recursive: true });
      await copyFile(join(hub.state, 'hub', 'ca.crt'), join(at('hub-corrupt'), 'hub', 'ca.crt'));
      await writeFile(join(at('hub-corrupt'), 'hub', 'sbcs.json'), '{"version":1,"sbcs":[{"name":');
    },
    argv: () => ['hub', 'list-sbc', '--state-dir', at('hub-corrupt')],
    exit: 4,
    message: /hub\/sbcs\.json: is not a valid SBC list \(SBC list: \(file\): not JSON/,
  },
  {
    name: 'status on a corrupt sbcs.json',
    argv: () => ['status', '--state-dir', at('hub-corrupt')],
    exit: 4,
    message: /hub\/sbcs\.json: is not a valid SBC list/,
  },
  {
    name: 'an incomplete identity in the agent state folder',
    setup: async () => {
      await mkdir(join(at('agent-incomplete'), 'agent'), { recursive: true });
      await writeFile(join(at('agent-incomplete'), 'agent', 'hub.json'), '{}');
    },
    argv: () => ['agent', '--state-dir', at('agent-incomplete')],
    exit: 18,
    message: /the identity in \S+agent is incomplete: \S+agent\.key, \S+agent\.crt, \S+hub-ca\.crt missing; enroll again/,
  },
  {
    name: 'an empty sbcs.json.lock left by a crash',
    setup: async () => {
      const lock = join(hub.state, 'hub', 'sbcs.json.lock');
      await writeFile(lock, '');
      const old = new Date(Date.now() - 10_000);
      await utimes(lock, old, old);
    },
    argv: () => ['hub', 'add-sbc', '--name', 'after-crash', '--state-dir', hub.state],
    exit: 0,
    message: /SBC 'after-crash' added/,
    absent: () => [join(hub.state, 'hub', 'sbcs.json.lock')],
  },
  {
    name: 'a lock whose owner is dead',
    setup: () => writeFile(join(hub.state, 'hub', 'sbcs.json.lock'), '2147483646\n'),
    argv: () => ['hub', 'revoke-sbc', 'after-crash', '--state-dir', hub.state],
    exit: 0,
    message: /SBC 'after-crash' revoked/,
    absent: () => [join(hub.state, 'hub', 'sbcs.json.lock')],
  },
  {
    name: 'add-sbc prints the running hub\'s enrollment address and port',
    argv: () => ['hub', 'add-sbc', '--name', 'url-check', '--json', '--state-dir', hub.state],
    exit: 0,
    message: /"url":"https:\/\/127\.0\.0\.1:\d+\/enroll\/[a-z0-9]{16}"/,
    check: (r) => assert.equal(new URL((JSON.parse(r.stdout) as { url: string }).url).host, hub.enrollment),
  },
  { name: 'a flag given twice', argv: () => ['hub', 'add-sbc', '--name', 'a', '--name', 'b', '--state-dir', hub.state], exit: 2, message: /--name is given more than once/ },
  { name: 'an extra argument', argv: () => ['hub', 'revoke-sbc', 'url-check', 'extra', '--state-dir', hub.state], exit: 2, message: /unexpected argument 'extra'/ },
  { name: 'an extra argument to status', argv: () => ['status', 'now', '--state-dir', hub.state], exit: 2, message: /unexpected argument 'now'/ },
  { name: 'a key valid for 270 years', argv: () => ['hub', 'add-sbc', '--name', 'forever', '--expires', '100000d', '--state-dir', hub.state], exit: 2, message: /--expires '100000d' is longer than 365d/ },
  {
    name: 'stun to a closed port',
    argv: () => ['stun', '--server', `127.0.0.1:${closedUdp}`],
    exit: 5,
    message: /cannot reach STUN server 127\.0\.0\.1:\d+ over UDP \(refused: nothing listens on that port\)/,
    check: (r) => assert.ok(r.ms < 5000, `failed in ${r.ms} ms, not after Ti`),
  },
  {
    name: 'sip-register to a closed UDP port',
    argv: () => ['sip-register', '--registrar', `sip:127.0.0.1:${closedUdp}`, '--user', '101', '--password', 'x'],
    exit: 5,
    message: /UDP 127\.0\.0\.1:\d+: nothing listens there \(ICMP port unreachable\)/,
    check: (r) => assert.ok(r.ms < 5000, `failed in ${r.ms} ms, not after Timer F`),
  },
  {
    name: 'stun --json to a closed port',
    argv: () => ['stun', '--server', `127.0.0.1:${closedUdp}`, '--json'],
    exit: 5,
    message: /refused/,
    check: (r) => assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { error: object }).error), ['exitCode', 'message']),
  },
  {
    name: 'an unresolvable STUN server (no network but loopback)',
    argv: () => ['stun', '--server', 'stun.no-such-host.invalid:3478'],
    wrapper: ['unshare', '--net', '--'],
    exit: 5,
    message: /cannot resolve STUN server 'stun\.no-such-host\.invalid'/,
  },
  {
    name: 'a STUN server on a port in use',
    argv: () => ['stun-server', '--listen', `127.0.0.1:${udpPort}`],
    exit: 19,
    message: /cannot listen on udp 127\.0\.0\.1:\d+: the port is in use/,
  },
  {
    name: 'sip-check on /dev/zero',
    argv: () => ['sip-check', '/dev/zero'],
    exit: 0,
    message: /\/dev\/zero: too large: more than 65535 bytes/,
    check: (r) => assert.ok(r.ms < 5000),
  },
];

test('operator mistakes: each gets its documented exit code (never 1) and a message naming what is wrong', async () => {
  for (const m of MISTAKES) {
    await m.setup?.();
    const r = await sbc(m.argv(), m.env, m.wrapper);
    const output = `${r.stderr}${r.stdout}`;
    assert.notEqual(r.code, 1, `${m.name}: exit 1 means a bug\n${output}`);
    assert.equal(r.code, m.exit, `${m.name}: exit ${r.code}\n${output}`);
    assert.match(output, m.message, m.name);
    assert.doesNotMatch(r.stderr, /\n {4}at /, `${m.name}: no stack trace`);
    for (const path of m.absent?.() ?? []) assert.equal(await exists(path), false, `${m.name}: ${path} must not exist`);
    await m.check?.(r);
  }
  assert.deepEqual(await keyMaterial(hub.state), hubKeys, 'no admin command rewrote the hub\'s CA or server certificate');
  assert.ok(hub.process.running, 'the running hub is unaffected');
});
