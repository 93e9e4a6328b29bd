/**
 * The two systems bench:calls drives with the same SIPp load, in the same namespaces:
 *
 *   sbc:       SIPp UAC (lan) → `sbc-agent run` (agt, enrolled by `sbc-agent enroll`) ⇒ TLS tunnel ⇒
 *              `sbc-agent hub` (pbx, hub.pbx = the SIPp UAS) → SIPp UAS (pbx)
 *   kamailio:  SIPp UAC (lan) → Kamailio (pbx, tm stateful proxy) + rtpengine (userspace, ng over
 *              loopback) → SIPp UAS (pbx)
 *
 * Both anchor the media (RTP crosses the relay) and proxy the SIP statefully. Each system names the
 * processes whose /proc counters are its cost.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { enrollByCli, type CliHub } from '../test/support/cli-hub.js';
import { MAIN, runCli } from '../test/support/integ-process.js';
import { benchKamailioConfig } from './calls-scenarios.js';

export const ADDR = { phone: '10.203.1.10', agentLan: '10.203.1.1', agentWan: '10.203.2.2', pbx: '10.203.2.1' } as const;
export const UAS_PORT = 20500;
const SIP_PORT = 20060;

export interface Part {
  readonly label: string;
  readonly pid: number;
}

export interface RunningSystem {
  readonly name: string;
  /** host:port the UAC sends its INVITEs to. */
  readonly target: string;
  readonly parts: readonly Part[];
  /** Datagrams the system dropped by design under congestion so far (the tunnel's drop-oldest queues). */
  dropped(): Promise<number>;
  stop(): Promise<void>;
}

/** Something in `ns` has UDP port `port` open. */
function listening(ns: string, port: number): boolean {
  return execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hlun', `sport = :${port}`]).toString().trim() !== '';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Children started here, ended by their pid (the process group for Kamailio's children). */
export class Children {
  readonly #all: Array<{ child: ChildProcess; group: boolean }> = [];

  constructor(readonly cwd: string) {}

  start(ns: string, cmd: string, args: readonly string[], group = false): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
    // Drained so that a chatty child never blocks on a full pipe; kept in CMD.log with BENCH_DEBUG.
    if (process.env['BENCH_DEBUG'] !== undefined) {
      const log = createWriteStream(join(this.cwd, `${basename(cmd)}.log`), { flags: 'a' });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
    }
    child.stdout?.resume();
    child.stderr?.resume();
    this.#all.push({ child, group });
    return child;
  }

  /** SIGUSR1 twice (SIPp's way out, reference §9.4), then SIGTERM, then SIGKILL. */
  stop(child: ChildProcess, first: NodeJS.Signals = 'SIGUSR1'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
    const pid = child.pid;
    const group = this.#all.find((c) => c.child === child)?.group === true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timers = ([[first, 0], [first, 500], ['SIGTERM', 2000], ['SIGKILL', 5000]] as const).map(([sig, at]) => setTimeout(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(group ? -pid : pid, sig);
      } catch {
        // gone
      }
    }, at));
    return exited.then(() => timers.forEach(clearTimeout));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#all.map((c) => this.stop(c.child, 'SIGTERM')));
  }

  killAll(): void {
    for (const { child, group } of this.#all) {
      if (child.pid === undefined || child.exitCode !== null) continue;
      try {
        process.kill(group ? -child.pid : child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

function hubYaml(): string {
  return `log:
  level: warn
hub:
  publicName: ${ADDR.pbx}
  enrollment: { listen: ${ADDR.pbx}, port: 5001 }
  tunnel: { listen: ${ADDR.pbx}, port: 5090 }
  wss: { listen: ${ADDR.pbx}, port: 5443 }
  pbx: { host: ${ADDR.pbx}, port: ${UAS_PORT}, probeInterval: 0s }
  sip: { listen: ${ADDR.pbx}, port: 20070 }
  media: { ports: { min: 30000, max: 39999 } }
  protection: { allow: [${ADDR.pbx}] }
`;
}

// The load comes from one address at thousands of packets a second: allowed, as a trusted PBX
// or an office's SIP trunk would be, so the flood levels measure nothing here.
const AGENT_YAML = `log:
  level: warn
agent:
  lan: [lan0]
  sip: { port: ${SIP_PORT} }
  media: { ports: { min: 30000, max: 39999 } }
  pnp: { policy: off }
  stun: { port: 0 }
  protection: { allow: [10.203.1.0/24] }
`;

/** A long-running `sbc-agent` command in a namespace; BENCH_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`) go to node. */
function sbcAgent(children: Children, ns: string, args: readonly string[]): ChildProcess {
  const flags = process.env['BENCH_NODE_FLAGS']?.split(' ').filter((f) => f !== '') ?? [];
  return children.start(ns, process.execPath, [...flags, MAIN, ...args]);
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
      if (pattern.test(out)) finish(() => resolve());
    };
    const finish = (then: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      then();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms: ${out.slice(-2000)}`))), timeoutMs);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => finish(() => reject(new Error(`exited ${String(code)} before ${String(pattern)}: ${out.slice(-2000)}`))));
  });
}

interface StatusTunnels { hub?: { tunnels?: Array<{ droppedDatagrams?: number }> }; agent?: { tunnels?: Array<{ state: string; droppedDatagrams?: number }> } }

async function status(stateDir: string): Promise<StatusTunnels> {
  const r = await runCli(['status', '--json', '--state-dir', stateDir]);
  try {
    return JSON.parse(r.stdout) as StatusTunnels;
  } catch {
    return {};
  }
}

/** `sbc-agent hub` with hub.pbx, an agent enrolled with `sbc-agent enroll` and run with `sbc-agent run`. */
export async function startSbc(children: Children, dir: string, ns: { agent: string; pbx: string }): Promise<RunningSystem> {
  mkdirSync(dir, { recursive: true });
  const hubState = join(dir, 'hub-state');
  const hubConfig = join(dir, 'hub.yaml');
  writeFileSync(hubConfig, hubYaml());
  const hubChild = sbcAgent(children, ns.pbx, ['hub', '--state-dir', hubState, '--config', hubConfig]);
  await waitForLine(hubChild, /hub: ready/, 30_000);
  // enrollByCli needs the hub's state directory and enrollment address only.
  const hub = { state: hubState, enrollment: `${ADDR.pbx}:5001` } as unknown as CliHub;
  const agentState = join(dir, 'agent-state');
  await enrollByCli(hub, 'bench-branch', agentState, ns.agent);
  const agentConfig = join(dir, 'agent.yaml');
  writeFileSync(agentConfig, AGENT_YAML);
  const agentChild = sbcAgent(children, ns.agent, ['run', '--config', agentConfig, '--state-dir', agentState]);
  await waitForLine(agentChild, /run: SBC 'bench-branch'/, 30_000);
  for (const deadline = Date.now() + 20_000; ;) {
    const s = await status(agentState);
    if (s.agent?.tunnels?.[0]?.state === 'up') break;
    if (Date.now() > deadline) throw new Error('the tunnel did not come up within 20 s');
    await sleep(250);
  }
  return {
    name: 'agent+tunnel+hub',
    target: `${ADDR.agentLan}:${SIP_PORT}`,
    parts: [{ label: 'agent', pid: agentChild.pid ?? 0 }, { label: 'hub', pid: hubChild.pid ?? 0 }],
    async dropped() {
      const [a, h] = await Promise.all([status(agentState), status(hubState)]);
      const sum = (ts: Array<{ droppedDatagrams?: number }> | undefined): number => (ts ?? []).reduce((n, t) => n + (t.droppedDatagrams ?? 0), 0);
      return sum(a.agent?.tunnels) + sum(h.hub?.tunnels);
    },
    async stop() {
      await children.stop(agentChild, 'SIGTERM');
      await children.stop(hubChild, 'SIGTERM');
    },
  };
}

/**
 * Kamailio (tm) + rtpengine in userspace (--table=-1: no kernel module) on the PBX side.
 * Sized so that neither is the limit before the CPU is (reference §9.7): 2 GiB of shared memory
 * (transactions are kept ~5 s after they end), rtpengine's ports 50000-65000 with no delete delay
 * (its default keeps each ended call's ports 30 s: 1,000 calls/s would need 120,000 ports).
 */
export async function startKamailio(children: Children, dir: string, ns: { pbx: string }): Promise<RunningSystem> {
  // rtpengine first: Kamailio pings it at start and, with no answer, leaves it disabled for 60 s
  // (rtpengine_disable_tout), during which calls pass with their media unanchored.
  const rtpengine = children.start(ns.pbx, 'rtpengine', ['--foreground', '--log-stderr', '--table=-1', `--interface=${ADDR.pbx}`, '--listen-ng=127.0.0.1:22222',
    '--port-min=50000', '--port-max=65000', '--delete-delay=0', '--log-level=3', '--num-threads=2']);
  for (const deadline = Date.now() + 10_000; !listening(ns.pbx, 22222);) {
    if (Date.now() > deadline || rtpengine.exitCode !== null) throw new Error('rtpengine is not listening on its ng port');
    await sleep(100);
  }
  writeFileSync(join(dir, 'kamailio.cfg'), benchKamailioConfig(ADDR.pbx, SIP_PORT, `${ADDR.pbx}:${UAS_PORT}`));
  const kamailio = children.start(ns.pbx, 'kamailio', ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-m', '2048', '-M', '64', '-Y', dir, '-w', dir], true);
  for (const deadline = Date.now() + 10_000; !listening(ns.pbx, SIP_PORT);) {
    if (Date.now() > deadline || kamailio.exitCode !== null) throw new Error('kamailio is not listening');
    await sleep(100);
  }
  await sleep(1000);
  return {
    name: 'kamailio+rtpengine',
    target: `${ADDR.pbx}:${SIP_PORT}`,
    parts: [{ label: 'kamailio', pid: kamailio.pid ?? 0 }, { label: 'rtpengine', pid: rtpengine.pid ?? 0 }],
    dropped: () => Promise.resolve(0),
    async stop() {
      await children.stop(rtpengine, 'SIGTERM');
      await children.stop(kamailio, 'SIGTERM');
    },
  };
}
