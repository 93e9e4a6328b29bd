/**
 * Issue 15, "what must be shown" 4: `sbc-agent doctor --json` on a branch box in network
 * namespaces this test creates, one fault at a time, each reported as expected and every other
 * check still ok:
 *
 *   lan (10.216.1.10) ── lan0 10.216.1.1 [agent: run + doctor] wan0 10.216.2.2
 *        ── 10.216.2.1 [router: NAT, nftables, the SIP ALG relay] 10.216.3.1 ── 10.216.3.2 [hub]
 *
 * The faults, applied and undone in turn: no multicast route on the LAN (warn), multicast off on
 * it (fail), TLS 5090 dropped by the router (TLS down, WSS up: warn, the blocked port named), a
 * SIP ALG in the router rewriting Via and Contact (test/support/sip-alg-relay.ts behind an
 * nftables redirect; warn), a 1280-byte link between the router and the hub (`ip link set mtu`:
 * the path MTU warning, from tracepath), the box's clock 10 minutes ahead (fail), and a hub
 * reinstalled with a new CA so it no longer matches the pinned fingerprint (fail, both
 * fingerprints named). The NAT behaviour check (RFC 5780, an `sbc-agent stun-server` with two
 * addresses beside the hub) finds the router's plain masquerade endpoint-independent (ok), and a
 * `masquerade fully-random` a symmetric NAT (warn).
 *
 * The clock: the system clock cannot be changed for one test, so agent and doctor run under
 * libfaketime (`faketime` package, LD_PRELOAD) 10 minutes ahead. The program is unchanged and has
 * no test hook: it reads a wrong clock from the C library exactly as on a box whose clock is off,
 * and the hub, run without it, keeps the right time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrollByCli, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, MAIN } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';

const NET = { phone: '10.216.1.10', lan: '10.216.1.1', wan: '10.216.2.2', routerIn: '10.216.2.1', routerOut: '10.216.3.1', hub: '10.216.3.2', stunAlternate: '10.216.3.3' };
const RELAY_JS = fileURLToPath(new URL('../support/sip-alg-relay.js', import.meta.url));
const RELAY_PORT = 15060;

interface Check {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly says: string;
  readonly todo?: string;
}

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'router' | 'hub', string>;
let hub: CliHub;
let hubFingerprint: string;
let agent: CliProcess;
let relay: CliProcess;
let stun: CliProcess;
let agentState: string;

/** libfaketime's preload library (its path has the architecture in it). */
function faketimeLibrary(): string {
  for (const arch of readdirSync('/usr/lib')) {
    const lib = join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error("libfaketime not found: install the Debian package 'faketime' (scripts/install-test-deps.sh)");
}

/** The environment that puts a process's wall clock 10 minutes ahead (its monotonic clock stays true). */
function tenMinutesAhead(): NodeJS.ProcessEnv {
  return { ...process.env, LD_PRELOAD: faketimeLibrary(), FAKETIME: '+10m', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

const hubYaml = `log:
  level: warn
hub:
  publicName: ${NET.hub}
  enrollment: { listen: ${NET.hub}, port: 5001 }
  tunnel: { listen: ${NET.hub}, port: 5090 }
  wss: { listen: ${NET.hub}, port: 5443 }
  sipEcho: { port: 5060 }
`;

/** A hub whose state (CA, SBC list) is in `dir`/`name`: made on the first start, kept across restarts. */
async function startHub(name: string): Promise<CliHub> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const h = await startCliHub({ dir: d, netns: ns.hub, yaml: hubYaml });
  hubFingerprint = (/hub: fingerprint (\S+)/.exec(h.process.stdout) ?? [])[1] ?? '';
  return h;
}

async function startAgent(env: NodeJS.ProcessEnv = process.env): Promise<CliProcess> {
  const p = new CliProcess(['run', '--config', join(dir, 'agent.yaml'), '--state-dir', agentState], undefined, ns.agent, env);
  await p.waitForOutput(/run: SBC 'branch-doctor'/, 30_000);
  return p;
}

/** `sbc-agent doctor --json` inside the agent's namespace. */
function doctor(env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; checks: Check[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.agent, process.execPath, MAIN, 'doctor', '--json', '--config', join(dir, 'agent.yaml'), '--state-dir', agentState], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      try {
        resolve({ code, checks: JSON.parse(stdout) as Check[], stderr });
      } catch {
        reject(new Error(`doctor exited ${String(code)} without JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-doctor-'));
  bed = new Testbed('dfault');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), router: bed.namespace('rtr'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${NET.phone}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${NET.lan}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: `${NET.wan}/24` }, { ns: ns.router, dev: 'eth0', addr: `${NET.routerIn}/24` });
  bed.link({ ns: ns.router, dev: 'eth1', addr: `${NET.routerOut}/24` }, { ns: ns.hub, dev: 'eth0', addr: `${NET.hub}/24` });
  bed.defaultRoute(ns.agent, NET.routerIn);
  bed.defaultRoute(ns.hub, NET.routerOut);
  bed.forwarding(ns.router);
  bed.masquerade(ns.router, 'eth1');
  bed.exec(ns.agent, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'lan0']);

  // An RFC 5780 STUN server beside the hub (two addresses) for the NAT behaviour check.
  bed.exec(ns.hub, 'ip', ['addr', 'add', `${NET.stunAlternate}/24`, 'dev', 'eth0']);
  stun = new CliProcess(['stun-server', '--listen', `${NET.hub}:3478`, '--alternate', `${NET.stunAlternate}:3479`, '--log-level', 'warn'], undefined, ns.hub);
  await stun.waitForOutput(/stun-server listening/, 10_000);
  hub = await startHub('hub-a');
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-doctor', agentState, ns.agent);
  writeFileSync(join(dir, 'agent.yaml'), `log:\n  level: warn\nagent:\n  lan: lan0\n  pnp: { policy: auto, provisioning: off }\n  stun: { server: ${NET.hub}:3478 }\n  media:\n    ports: { min: 31000, max: 31199 }\n`);
  agent = await startAgent();
  relay = new CliProcess(['--listen', `0.0.0.0:${RELAY_PORT}`, '--upstream', `${NET.hub}:5060`, '--public', NET.routerOut], RELAY_JS, ns.router);
  await relay.waitForOutput(/ready/, 10_000);
});

after(async () => {
  await agent?.stop('SIGINT');
  await relay?.stop();
  await stun?.stop();
  await hub?.process.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Expected {
  readonly check: string;
  readonly status: Check['status'];
  readonly says: RegExp | (() => RegExp);
  readonly todo?: RegExp | (() => RegExp);
}

interface Fault {
  readonly name: string;
  readonly apply: () => Promise<void> | void;
  readonly undo: () => Promise<void> | void;
  /** The environment doctor runs in. */
  readonly env?: () => NodeJS.ProcessEnv;
  readonly exit: number;
  /** What doctor must report; every check not named here must be ok. */
  readonly expect: readonly Expected[];
}

let originalFingerprint = '';

const FAULTS: readonly Fault[] = [
  {
    name: 'nothing wrong',
    apply: () => undefined,
    undo: () => undefined,
    exit: 0,
    expect: [
      { check: 'multicast-route', status: 'ok', says: /224\.0\.1\.75 is routed out of lan0/ },
      { check: 'sip-alg', status: 'ok', says: /arrived unchanged \(the hub saw it from 10\.216\.3\.1:\d+\)/ },
      { check: 'hub-fingerprint', status: 'ok', says: /still matches/ },
      { check: 'clock', status: 'ok', says: /agree/ },
      { check: 'path-mtu', status: 'ok', says: /toward the hub \(10\.216\.3\.2\) is 1500 bytes \(2 hops, the hub reached\)/ },
      { check: 'stun-nat', status: 'ok', says: /^endpoint-independent mapping: phones behind it can be reached \(the STUN server 10\.216\.3\.2:3478 sees this box as 10\.216\.3\.1:\d+\); address-and-port-dependent filtering/ },
    ],
  },
  {
    name: 'no multicast route on the LAN',
    apply: () => void bed.exec(ns.agent, 'ip', ['route', 'del', '224.0.0.0/4', 'dev', 'lan0']),
    undo: () => void bed.exec(ns.agent, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'lan0']),
    exit: 0,
    expect: [{ check: 'multicast-route', status: 'warn', says: /routed out of wan0, not the LAN lan0: lan0 has no route for 224\.0\.0\.0\/4/, todo: /ip route add 224\.0\.0\.0\/4 dev lan0/ }],
  },
  {
    name: 'multicast off on the LAN',
    apply: () => void bed.exec(ns.agent, 'ip', ['link', 'set', 'dev', 'lan0', 'multicast', 'off']),
    undo: () => void bed.exec(ns.agent, 'ip', ['link', 'set', 'dev', 'lan0', 'multicast', 'on']),
    exit: 23,
    expect: [{ check: 'multicast-flag', status: 'fail', says: /lan0 has multicast turned off/, todo: /ip link set dev lan0 multicast on/ }],
  },
  {
    name: 'the tunnel port blocked: TLS 5090 dropped, WSS up',
    apply: () => bed.nft(ns.router, 'table inet dfblock {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n  tcp dport 5090 drop\n }\n}\n'),
    undo: () => void bed.exec(ns.router, 'nft', ['delete', 'table', 'inet', 'dfblock']),
    exit: 0,
    expect: [
      { check: 'tunnel-tls', status: 'warn', says: /over TLS \(10\.216\.3\.2:5090\): no answer/, todo: /allow TCP 5090 outbound to 10\.216\.3\.2:5090 \(the agent runs over WSS meanwhile\)/ },
      { check: 'tunnel', status: 'warn', says: /works over WSS \(10\.216\.3\.2:5443\); TLS to port 5090 is blocked/, todo: /allow TCP 5090/ },
    ],
  },
  {
    name: 'a SIP ALG rewriting Via and Contact',
    apply: () => bed.nft(ns.router, `table ip dfalg {\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n  ip daddr ${NET.hub} udp dport 5060 redirect to :${RELAY_PORT}\n }\n}\n`),
    undo: () => void bed.exec(ns.router, 'nft', ['delete', 'table', 'ip', 'dfalg']),
    exit: 0,
    expect: [{ check: 'sip-alg', status: 'warn', says: /SIP ALG on the way to the hub rewrote Via, Contact \(the hub saw it from 10\.216\.3\.1:\d+\): Via 'SIP\/2\.0\/UDP 10\.216\.2\.2:\d+;[^']*' arrived as 'SIP\/2\.0\/UDP 10\.216\.3\.1:\d+;/, todo: /turn the router's SIP ALG off/ }],
  },
  {
    name: 'a symmetric NAT: the router masquerades to a random port per destination',
    apply: () => bed.nft(ns.router, 'flush chain ip nat postrouting\nadd rule ip nat postrouting oifname "eth1" masquerade fully-random\n'),
    undo: () => bed.nft(ns.router, 'flush chain ip nat postrouting\nadd rule ip nat postrouting oifname "eth1" masquerade\n'),
    exit: 0,
    expect: [{ check: 'stun-nat', status: 'warn', says: /^symmetric NAT \((address|address-and-port)-dependent mapping\): remote phones need the tunnel; direct media will fail/, todo: /phones on the LAN are not affected/ }],
  },
  {
    name: 'a 1280-byte link between the router and the hub',
    apply: () => {
      bed.exec(ns.router, 'ip', ['link', 'set', 'dev', 'eth1', 'mtu', '1280']);
      bed.exec(ns.hub, 'ip', ['link', 'set', 'dev', 'eth0', 'mtu', '1280']);
    },
    undo: () => {
      bed.exec(ns.router, 'ip', ['link', 'set', 'dev', 'eth1', 'mtu', '1500']);
      bed.exec(ns.hub, 'ip', ['link', 'set', 'dev', 'eth0', 'mtu', '1500']);
      // The agent's kernel keeps the learned path MTU for 10 minutes; the next rows start afresh.
      bed.exec(ns.agent, 'ip', ['route', 'flush', 'cache']);
    },
    exit: 0,
    expect: [{ check: 'path-mtu', status: 'warn', says: /toward the hub \(10\.216\.3\.2\) is only 1280 bytes .*below 1400/, todo: /TCP or TLS/ }],
  },
  {
    name: 'the clock 10 minutes ahead',
    apply: async () => {
      await agent.stop('SIGINT');
      agent = await startAgent(tenMinutesAhead());
    },
    undo: async () => {
      await agent.stop('SIGINT');
      agent = await startAgent();
    },
    env: tenMinutesAhead,
    exit: 23,
    expect: [{ check: 'clock', status: 'fail', says: /this clock is 10 min ahead of the hub's/, todo: /timedatectl set-ntp true/ }],
  },
  {
    name: 'the hub reinstalled with a new certificate',
    apply: async () => {
      originalFingerprint = hubFingerprint;
      await hub.process.stop();
      hub = await startHub('hub-b');
      assert.notEqual(hubFingerprint, originalFingerprint);
    },
    undo: async () => {
      await hub.process.stop();
      hub = await startHub('hub-a');
    },
    exit: 23,
    expect: [
      { check: 'hub-fingerprint', status: 'fail', says: () => new RegExp(`presents a certificate of CA ${hubFingerprint}, but this agent pinned ${originalFingerprint} when it enrolled`), todo: () => new RegExp(`enroll --force .*--fingerprint ${hubFingerprint}`) },
      { check: 'tunnel-tls', status: 'fail', says: /not the one enrolled with/ },
      { check: 'tunnel-wss', status: 'fail', says: /not the one enrolled with/ },
      { check: 'tunnel', status: 'fail', says: /cannot be reached by either carriage/ },
      { check: 'clock', status: 'warn', says: /could not be read/ },
    ],
  },
];

test('doctor --json names each fault of the branch box, and only it', { timeout: 300_000 }, async () => {
  for (const fault of FAULTS) {
    await fault.apply();
    try {
      const { code, checks, stderr } = await doctor(fault.env?.());
      const all = `${fault.name}: ${JSON.stringify(checks, null, 1)}\n${stderr}`;
      assert.equal(code, fault.exit, all);
      for (const e of fault.expect) {
        const found = checks.filter((c) => c.check === e.check);
        assert.equal(found.length, 1, `${fault.name}: one '${e.check}' check\n${all}`);
        const c = found[0] as Check;
        assert.equal(c.status, e.status, `${fault.name}: ${e.check}\n${all}`);
        assert.match(c.says, typeof e.says === 'function' ? e.says() : e.says, `${fault.name}: ${e.check}`);
        if (e.todo !== undefined) assert.match(c.todo ?? '', typeof e.todo === 'function' ? e.todo() : e.todo, `${fault.name}: ${e.check} todo`);
      }
      const named = new Set(fault.expect.map((e) => e.check));
      const others = checks.filter((c) => !named.has(c.check) && c.status !== 'ok');
      assert.deepEqual(others, [], `${fault.name}: every other check ok\n${all}`);
    } finally {
      await fault.undo();
    }
  }
});
