/**
 * npm run bench:calls — G.711 calls with RTP (SIPp rtp_stream: raw A-law looped in 20 ms packets;
 * pcap playback would open one raw socket per call and skew the figures) from a SIPp UAC in
 * a LAN namespace to a SIPp UAS behind Kamailio, through (1) agent + TLS tunnel + hub and (2)
 * Kamailio + rtpengine (Debian packages) in place of agent and hub, on the same namespaces.
 * Prints, for each: the highest concurrency with packet loss < 0.1 % (loss counted with nftables
 * counters on the UAC's and UAS's media ports over a window where every call is up), the highest
 * call rate with no failed call, the agent's and hub's memory at peak, and the ratios.
 * Bounded: levels from BENCH_CONCURRENCY (default 100,200,300,400,500) and BENCH_RATES (default
 * 100,200,300,400), each step a few tens of seconds; a system stops at its first failing level.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testbed } from '../test/support/netns.js';
import { SbcNode } from '../test/support/sbc-rig.js';
import { makeTunnelCerts } from '../test/support/tunnel-certs.js';
import { UAC_XML, UAS_XML, benchKamailioConfig } from './calls-scenarios.js';

const LAN_PHONE = '10.203.1.10';
const AGENT_LAN = '10.203.1.1';
const PBX = '10.203.2.1';
const HOLD_MS = 16_000;
const WINDOW_MS = 10_000;
const levels = (name: string, fallback: number[]): number[] => (process.env[name]?.split(',').map(Number).filter((n) => n > 0) ?? fallback);
const CONCURRENCY = levels('BENCH_CONCURRENCY', [100, 200, 300, 400, 500]);
const RATES = levels('BENCH_RATES', [100, 200, 300, 400]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Step { readonly level: number; readonly ok: boolean; readonly successful: number; readonly failed: number; readonly loss?: number; readonly agentRss?: number; readonly hubRss?: number; readonly dropped?: number }
interface SystemResult { readonly name: string; readonly concurrency: Step[]; readonly rate: Step[] }

const dir = mkdtempSync(join(tmpdir(), 'bench-calls-'));
const bed = new Testbed('sbcb');
const children: ChildProcess[] = [];
// Interrupted: stop what we started and remove the namespaces before going.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const c of children) {
      if (c.pid === undefined || c.exitCode !== null) continue;
      try {
        process.kill(groups.has(c) ? -c.pid : c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    bed.remove();
    process.exit(130);
  });
}
const groups = new Set<ChildProcess>();

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  for (const [sig, at] of [['SIGUSR1', 0], ['SIGUSR1', 500], ['SIGKILL', 3000]] as const) {
    setTimeout(() => {
      if (c.exitCode === null && c.pid !== undefined) {
        try {
          process.kill(groups.has(c) ? -c.pid : c.pid, sig);
        } catch {
          // gone
        }
      }
    }, at).unref();
  }
  return exited;
}

function start(ns: string, cmd: string, args: readonly string[], group = false): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  children.push(c);
  if (group) groups.add(c);
  return c;
}

function counters(ns: string): { rx: number; tx: number } {
  const text = bed.exec(ns, 'nft', ['-j', 'list', 'table', 'inet', 'bench']);
  const packets = [...text.matchAll(/"packets":\s*(\d+)/g)].map((m) => Number(m[1]));
  return { rx: packets[0] ?? 0, tx: packets[1] ?? 0 };
}

function sippStats(out: string): { successful: number; failed: number } {
  const last = (label: string): number => {
    const lines = out.split('\n').filter((l) => l.includes(label));
    const m = /\|\s*(\d+)\s*$/.exec((lines[lines.length - 1] ?? '').trim());
    return Number(m?.[1] ?? 0);
  };
  return { successful: last('Successful call'), failed: last('Failed call') };
}

async function uac(target: string, calls: number, rate: number, holdMs: number, during?: () => Promise<void>): Promise<{ successful: number; failed: number }> {
  const timeout = Math.ceil(calls / rate + holdMs / 1000 + 60);
  const c = start(NS.lan, 'sipp', ['-sf', 'uac.xml', target, '-s', 'uas', '-i', LAN_PHONE, '-p', '20600', '-mi', LAN_PHONE, '-mp', '40000',
    '-m', String(calls), '-r', String(rate), '-l', String(calls), '-d', String(holdMs), '-nostdin', '-timeout', `${timeout}s`, '-max_socket', '20000', ...(process.env.BENCH_DEBUG === undefined ? [] : ['-trace_err', '-trace_msg'])]);
  let out = '';
  const keep = (d: Buffer): void => { out = (out + d.toString()).slice(-40_000); };
  c.stdout?.on('data', keep);
  c.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  await during?.();
  await Promise.race([exited, sleep(timeout * 1000 + 5000)]);
  await stopChild(c);
  if (process.env.BENCH_DEBUG !== undefined) process.stderr.write(out.split('Unexpected').slice(-1)[0]?.slice(0, 300) ?? '');
  return sippStats(out);
}

let NS: Record<'lan' | 'agent' | 'pbx', string>;

function setupNetwork(): void {
  NS = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), pbx: bed.namespace('pbx') };
  bed.link({ ns: NS.lan, dev: 'eth0', addr: `${LAN_PHONE}/24` }, { ns: NS.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: NS.agent, dev: 'wan0', addr: '10.203.2.2/24' }, { ns: NS.pbx, dev: 'eth0', addr: `${PBX}/24` });
  bed.defaultRoute(NS.lan, AGENT_LAN);
  bed.defaultRoute(NS.agent, PBX);
  bed.exec(NS.pbx, 'ip', ['route', 'add', '10.203.1.0/24', 'via', '10.203.2.2']);
  bed.forwarding(NS.agent);
  // RTP into and out of the SIPp media ports (40000-49999) of each side.
  for (const ns of [NS.lan, NS.pbx]) {
    bed.nft(ns, 'table inet bench {\n chain pre {\n  type filter hook prerouting priority -300; policy accept;\n  udp dport 40000-49999 counter\n }\n chain out {\n  type filter hook output priority -300; policy accept;\n  udp sport 40000-49999 counter\n }\n}\n');
  }
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', '1000']);
  writeFileSync(join(dir, 'uac.xml'), UAC_XML);
  writeFileSync(join(dir, 'uas.xml'), UAS_XML);
}

async function runSystem(name: string, withRtpengine: boolean): Promise<SystemResult> {
  writeFileSync(join(dir, 'kamailio.cfg'), benchKamailioConfig(PBX, 20060, withRtpengine));
  const kamailio = start(NS.pbx, 'kamailio', ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-m', '1024', '-M', '16', '-Y', dir, '-w', dir], true);
  const rtpengine = withRtpengine
    ? start(NS.pbx, 'rtpengine', ['--foreground', '--log-stderr', '--table=-1', `--interface=${PBX}`, '--listen-ng=127.0.0.1:22222', '--port-min=50000', '--port-max=59999', '--log-level=3', '--num-threads=2'])
    : undefined;
  const uas = start(NS.pbx, 'sipp', ['-sf', 'uas.xml', '-i', PBX, '-p', '20500', '-mi', PBX, '-mp', '40000', '-nostdin', '-timeout', '1200s', '-max_socket', '20000']);
  let hub: SbcNode | undefined;
  let agent: SbcNode | undefined;
  let certs: ReturnType<typeof makeTunnelCerts> | undefined;
  let target = `${PBX}:20060`;
  if (!withRtpengine) {
    certs = makeTunnelCerts([PBX]);
    const pems = (p: { keyPath: string; certPath: string }): object => ({ key: p.keyPath, cert: p.certPath, ca: certs?.caPath });
    hub = new SbcNode('hub', { certs: pems(certs.hub), tunnelHost: PBX, tunnelPort: 20090, sipAddress: PBX, sipPort: 20070, mediaAddress: PBX, mediaPorts: { min: 30000, max: 39999 }, pbx: { host: PBX, port: 20060 } }, NS.pbx);
    await hub.waitFor('listening');
    agent = new SbcNode('agent', { identity: 'agent-1', certs: pems(certs.agent), hub: { host: PBX, port: 20090 }, sipAddress: AGENT_LAN, sipPort: 20060, mediaAddress: AGENT_LAN, mediaPorts: { min: 30000, max: 39999 } }, NS.agent);
    await agent.waitFor('tunnel-open', 15_000);
    target = `${AGENT_LAN}:20060`;
  }
  if (process.env.BENCH_DEBUG !== undefined) start(NS.pbx, 'tshark', ['-i', 'any', '-f', 'udp port 20060 or udp port 20070 or udp port 20500', '-w', `/tmp/bench-${withRtpengine ? 'rtp' : 'sbc'}.pcap`]);
  await sleep(1500);
  let dropped = 0;
  const rss = async (n: SbcNode | undefined): Promise<number | undefined> => {
    if (n === undefined) return undefined;
    const r = await n.ask('calls', 20_000);
    // Datagrams the tunnel dropped (drop-oldest queues under congestion), on either side.
    const tunnels = [r.tunnel, ...((r.tunnels as unknown[] | undefined) ?? [])] as Array<{ datagrams?: { dropped: number } } | undefined>;
    dropped += tunnels.reduce((sum, t) => sum + (t?.datagrams?.dropped ?? 0), 0);
    return Number(r.rss);
  };
  const result: SystemResult = { name, concurrency: [], rate: [] };
  try {
    for (const n of CONCURRENCY) {
      const rate = Math.min(100, n);
      let loss = 1;
      let agentRss: number | undefined;
      let hubRss: number | undefined;
      const stats = await uac(target, n, rate, HOLD_MS, async () => {
        await sleep((n / rate) * 1000 + 3000);
        const a0 = counters(NS.lan);
        const b0 = counters(NS.pbx);
        await sleep(WINDOW_MS);
        const a1 = counters(NS.lan);
        const b1 = counters(NS.pbx);
        const sent = a1.tx - a0.tx + (b1.tx - b0.tx);
        const received = a1.rx - a0.rx + (b1.rx - b0.rx);
        loss = sent === 0 ? 1 : Math.max(0, 1 - received / sent);
        dropped = 0;
        agentRss = await rss(agent);
        hubRss = await rss(hub);
      });
      const ok = stats.failed === 0 && stats.successful === n && loss < 0.001;
      result.concurrency.push({ level: n, ok, ...stats, loss, ...(agentRss === undefined ? {} : { agentRss }), ...(hubRss === undefined ? {} : { hubRss }) });
      process.stdout.write(`${name}: ${n} concurrent calls: ${stats.successful} ok, ${stats.failed} failed, loss ${(loss * 100).toFixed(3)} %${agentRss === undefined ? '' : `, agent ${(agentRss / 2 ** 20).toFixed(0)} MiB, hub ${((hubRss ?? 0) / 2 ** 20).toFixed(0)} MiB, tunnel datagrams dropped so far ${dropped}`}\n`);
      await sleep(3000);
      if (!ok) break;
    }
    for (const r of RATES) {
      const calls = r * 5;
      const stats = await uac(target, calls, r, 1000);
      const ok = stats.failed === 0 && stats.successful === calls;
      result.rate.push({ level: r, ok, ...stats });
      const unfinished = calls - stats.successful - stats.failed;
      process.stdout.write(`${name}: ${r} calls/s: ${stats.successful}/${calls} ok, ${stats.failed} failed${unfinished > 0 ? `, ${unfinished} not finished when SIPp was stopped` : ''}\n`);
      await sleep(3000);
      if (!ok) break;
    }
  } finally {
    if (process.env.BENCH_DEBUG !== undefined) process.stderr.write(`agent: ${agent?.stderr.join('').slice(-3000)}\nhub: ${hub?.stderr.join('').slice(-3000)}\n`);
    await agent?.stop();
    await hub?.stop();
    certs?.remove();
    await stopChild(uas);
    if (rtpengine !== undefined) await stopChild(rtpengine);
    await stopChild(kamailio);
  }
  return result;
}

function best(steps: Step[]): number {
  return steps.filter((s) => s.ok).reduce((m, s) => Math.max(m, s.level), 0);
}

async function main(): Promise<void> {
  setupNetwork();
  // BENCH_ONLY=sbc skips the rtpengine run (for profiling the call path alone).
  const sbc = await runSystem('agent+tunnel+hub', false);
  // rtpengine is not a test dependency: the Debian package is `rtpengine-daemon` (apt-get install --no-install-recommends rtpengine-daemon).
  const haveRtpengine = (() => {
    try {
      execFileSync('rtpengine', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      process.stdout.write('rtpengine not installed (apt-get install --no-install-recommends rtpengine-daemon): no comparison run\n');
      return false;
    }
  })();
  const rtp = process.env.BENCH_ONLY === 'sbc' || !haveRtpengine ? { name: 'kamailio+rtpengine', concurrency: [], rate: [] } : await runSystem('kamailio+rtpengine', true);
  const peak = sbc.concurrency.filter((s) => s.ok).pop();
  const rows = [
    ['', 'agent+tunnel+hub', 'kamailio+rtpengine', 'ratio'],
    ['max concurrent calls (loss < 0.1 %)', best(sbc.concurrency), best(rtp.concurrency), (best(sbc.concurrency) / Math.max(1, best(rtp.concurrency))).toFixed(2)],
    ['max call rate, no failure (calls/s)', best(sbc.rate), best(rtp.rate), (best(sbc.rate) / Math.max(1, best(rtp.rate))).toFixed(2)],
  ];
  process.stdout.write(`\n${rows.map((r) => r.map((c, i) => String(c).padEnd(i === 0 ? 38 : 20)).join('')).join('\n')}\n`);
  process.stdout.write(`memory at peak (${peak?.level ?? 0} calls): agent ${((peak?.agentRss ?? 0) / 2 ** 20).toFixed(0)} MiB, hub ${((peak?.hubRss ?? 0) / 2 ** 20).toFixed(0)} MiB\n`);
  process.stdout.write(`levels tried: concurrency ${CONCURRENCY.join(',')} (hold ${HOLD_MS / 1000} s, loss over ${WINDOW_MS / 1000} s with all calls up), rates ${RATES.join(',')} (5 s each, 1 s calls)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
}).finally(async () => {
  for (const c of children) await stopChild(c);
  bed.remove();
  rmSync(dir, { recursive: true, force: true });
});
