/**
 * npm run bench:calls [-- --hold 300 --after 120 --step 10 --rates 200,400,... --concurrency 500,1000,...
 *                        --only sbc|kamailio --json]
 *
 * G.711 calls with RTP both ways (SIPp rtp_stream: raw A-law looped in 20 ms packets; pcap playback
 * would open one raw socket per call and skew the figures, reference §9.1) from a SIPp UAC in a LAN
 * namespace to a SIPp UAS on the PBX side, through (1) the real programs: `sbc-agent run` (enrolled
 * with `sbc-agent enroll`), its TLS tunnel and `sbc-agent hub` with hub.pbx = the UAS, and (2) in the
 * same run, Kamailio + rtpengine (userspace) doing the same job: stateful SIP proxy + RTP relay.
 *
 * For each system it prints: the highest concurrency with packet loss < 0.1 % and no failed call
 * (loss from nftables counters on the UAC's and UAS's media ports over a window with every call up);
 * the highest call rate with no failed call, searched with short steps (--step s each, 1 s calls),
 * then that level held --hold seconds (a failed hold falls back once to the level below); CPU per
 * call (utime + stime of the system's processes over the hold, /proc/PID/stat); memory idle, at peak
 * and --after seconds after the load; and the ratios. Bounded: the levels given, each step ends by
 * itself, a system stops at its first failing level.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Testbed } from '../test/support/netns.js';
import { MemoryMarks } from './calls-memory.js';
import { cpuSeconds, memoryBytes, processTree } from './calls-proc.js';
import { UAC_XML, UAS_XML } from './calls-scenarios.js';
import { ADDR, Children, UAS_PORT, startKamailio, startSbc, type RunningSystem } from './calls-systems.js';

const USAGE = 'usage: npm run bench:calls -- [--hold S] [--after S] [--step S] [--rates N,N,...] [--concurrency N,N,...] [--only sbc|kamailio] [--json] [--memory-dir DIR [--heap-snapshots]]';
// A wrong flag gets the usage and exit 2, not a stack trace.
const { values: flags } = (() => {
  try {
    return parseArgs({
      options: {
        hold: { type: 'string', default: '300' },
        after: { type: 'string', default: '120' },
        step: { type: 'string', default: '10' },
        rates: { type: 'string', default: '200,400,600,800,1000,1200,1500' },
        concurrency: { type: 'string', default: '500,1000,1500,2000,2500' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        'memory-dir': { type: 'string' },
        'heap-snapshots': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`bench:calls: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();
const list = (text: string): number[] => text.split(',').map(Number).filter((n) => Number.isFinite(n) && n > 0);
const HOLD_S = Number(flags.hold);
const AFTER_S = Number(flags.after);
const STEP_S = Number(flags.step);
const RATES = list(flags.rates);
const CONCURRENCY = list(flags.concurrency);
const RAMP_RATE = 200;
// BENCH_DEBUG=1: SIPp writes its unexpected messages (uac_*_errors.log) and the working directory is kept.
const DEBUG = process.env['BENCH_DEBUG'] === undefined ? [] : ['-trace_err'];
const WINDOW_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
// --memory-dir: the agent's and hub's own memory readings (and heap snapshots) at idle, peak, end of load and after.
const MARKS = flags['memory-dir'] === undefined ? undefined : new MemoryMarks(flags['memory-dir'], flags['heap-snapshots']);

interface Level { readonly level: number; readonly ok: boolean; readonly successful: number; readonly failed: number; readonly loss?: number; readonly cpuMsPerCall?: number; readonly cpuMsPerCallSecond?: number }
interface Memory { readonly idle: number; peak: number; after: number }
interface Result {
  readonly name: string;
  readonly concurrency: Level[];
  readonly rate: Level[];
  held?: Level & { readonly seconds: number };
  readonly memory: Record<string, Memory>;
  droppedDatagrams: number;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-calls-'));
const bed = new Testbed('sbcb');
const children = new Children(dir);
let NS: Record<'lan' | 'agent' | 'pbx', string>;
// Interrupted, or a fault outside main's promise: stop what we started and remove the namespaces
// before going (Kamailio and rtpengine would otherwise outlive us).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    children.killAll();
    bed.remove();
    process.exit(130);
  });
}
process.once('uncaughtException', (error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  children.killAll();
  bed.remove();
  process.exit(1);
});

function setupNetwork(): void {
  NS = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), pbx: bed.namespace('pbx') };
  bed.link({ ns: NS.lan, dev: 'eth0', addr: `${ADDR.phone}/24` }, { ns: NS.agent, dev: 'lan0', addr: `${ADDR.agentLan}/24` });
  bed.link({ ns: NS.agent, dev: 'wan0', addr: `${ADDR.agentWan}/24` }, { ns: NS.pbx, dev: 'eth0', addr: `${ADDR.pbx}/24` });
  bed.defaultRoute(NS.lan, ADDR.agentLan);
  bed.defaultRoute(NS.agent, ADDR.pbx);
  bed.exec(NS.pbx, 'ip', ['route', 'add', '10.203.1.0/24', 'via', ADDR.agentWan]);
  // Kamailio's UAC reaches it through the agent's namespace, routed like the agent's own WAN traffic.
  bed.forwarding(NS.agent);
  // RTP into and out of the SIPp media ports (40000-49999) of each side.
  for (const ns of [NS.lan, NS.pbx]) {
    bed.nft(ns, 'table inet bench {\n chain pre {\n  type filter hook prerouting priority -300; policy accept;\n  udp dport 40000-49999 counter\n }\n chain out {\n  type filter hook output priority -300; policy accept;\n  udp sport 40000-49999 counter\n }\n}\n');
  }
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', '1000']);
  writeFileSync(join(dir, 'uac.xml'), UAC_XML);
  writeFileSync(join(dir, 'uas.xml'), UAS_XML);
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

/** One bounded SIPp UAC run; `during` runs while it does. */
async function uac(target: string, calls: number, rate: number, holdMs: number, during?: () => Promise<void>): Promise<{ successful: number; failed: number }> {
  const timeout = Math.ceil(calls / rate + holdMs / 1000 + 60);
  const c = children.start(NS.lan, 'sipp', ['-sf', 'uac.xml', target, '-s', 'uas', '-i', ADDR.phone, '-p', '20600', '-mi', ADDR.phone, '-mp', '40000',
    '-m', String(calls), '-r', String(rate), '-l', String(calls), '-d', String(holdMs), '-nostdin', '-timeout', `${timeout}s`, '-max_socket', '20000', '-buff_size', String(4 << 20), ...DEBUG]);
  let out = '';
  const keep = (d: Buffer): void => { out = (out + d.toString()).slice(-40_000); };
  c.stdout?.on('data', keep);
  c.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  await during?.();
  await Promise.race([exited, sleep(timeout * 1000 + 5000)]);
  await children.stop(c);
  if (DEBUG.length > 0) writeFileSync(join(dir, `uac-${calls}-${rate}.out`), out);
  return sippStats(out);
}

/** A memory mark of the agent and hub (--memory-dir); collected only where it changes nothing measured after it (idle, after). */
async function markIfProbed(sys: RunningSystem, label: string, collect = false): Promise<void> {
  if (MARKS !== undefined && sys.name === 'agent+tunnel+hub') await MARKS.mark(sys.parts, label, collect);
}

/** CPU seconds of the system's processes (and their children) so far. */
function systemCpu(sys: RunningSystem): number {
  return cpuSeconds(sys.parts.flatMap((p) => processTree(p.pid)));
}

function sampleMemory(sys: RunningSystem): Record<string, number> {
  return Object.fromEntries(sys.parts.map((p) => [p.label, memoryBytes(processTree(p.pid))]));
}

async function concurrencySteps(sys: RunningSystem, result: Result): Promise<void> {
  for (const n of CONCURRENCY) {
    const rate = Math.min(RAMP_RATE, n);
    const rampMs = (n / rate) * 1000;
    let loss = 1;
    let cpuMsPerCallSecond: number | undefined;
    // Every call stays up from the end of the ramp until after the window.
    const stats = await uac(sys.target, n, rate, rampMs + 3000 + WINDOW_MS + 3000, async () => {
      await sleep(rampMs + 3000);
      const a0 = counters(NS.lan);
      const b0 = counters(NS.pbx);
      const cpu0 = systemCpu(sys);
      await sleep(WINDOW_MS);
      const cpu1 = systemCpu(sys);
      const a1 = counters(NS.lan);
      const b1 = counters(NS.pbx);
      const sent = a1.tx - a0.tx + (b1.tx - b0.tx);
      const received = a1.rx - a0.rx + (b1.rx - b0.rx);
      loss = sent === 0 ? 1 : Math.max(0, 1 - received / sent);
      cpuMsPerCallSecond = ((cpu1 - cpu0) * 1000) / (n * (WINDOW_MS / 1000));
      // After the window, so a snapshot's pause does not count in the loss; every call is still up.
      await markIfProbed(sys, `peak-${n}`);
    });
    const ok = stats.failed === 0 && stats.successful === n && loss < 0.001;
    result.concurrency.push({ level: n, ok, ...stats, loss, ...(cpuMsPerCallSecond === undefined ? {} : { cpuMsPerCallSecond }) });
    result.droppedDatagrams = await sys.dropped();
    process.stdout.write(`${sys.name}: ${n} concurrent calls: ${stats.successful} ok, ${stats.failed} failed, loss ${(loss * 100).toFixed(3)} %, `
      + `CPU ${cpuMsPerCallSecond?.toFixed(3) ?? '?'} ms per call-second, tunnel datagrams dropped so far ${result.droppedDatagrams}\n`);
    await sleep(3000);
    if (!ok) break;
  }
}

/** `calls` 1 s calls at `rate`; CPU per call over the run. */
async function rateRun(sys: RunningSystem, rate: number, seconds: number): Promise<Level> {
  const calls = rate * seconds;
  const cpu0 = systemCpu(sys);
  const stats = await uac(sys.target, calls, rate, 1000);
  const cpuMsPerCall = ((systemCpu(sys) - cpu0) * 1000) / Math.max(1, stats.successful);
  const ok = stats.failed === 0 && stats.successful === calls;
  const unfinished = calls - stats.successful - stats.failed;
  if (DEBUG.length > 0) {
    // Datagrams dropped by full receive buffers of the SIP sockets (d in skmem), per namespace.
    for (const [label, ns] of Object.entries(NS)) {
      const sockets = bed.exec(ns, 'ss', ['-Huanm']).replace(/\n\s+skmem/g, ' skmem').split('\n').filter((l) => /:(20060|20070|20500|20600|22222|5090)\s/.test(l));
      process.stdout.write(`  ${label}: ${sockets.map((l) => `${l.split(/\s+/)[3] ?? '?'} d${/,d(\d+)\)/.exec(l)?.[1] ?? '?'}`).join(', ')}\n`);
    }
  }
  process.stdout.write(`${sys.name}: ${rate} calls/s for ${seconds} s: ${stats.successful}/${calls} ok, ${stats.failed} failed${unfinished > 0 ? `, ${unfinished} not finished when SIPp was stopped` : ''}, CPU ${cpuMsPerCall.toFixed(3)} ms per call\n`);
  return { level: rate, ok, ...stats, cpuMsPerCall };
}

async function rateSearch(sys: RunningSystem, result: Result): Promise<void> {
  for (const r of RATES) {
    const step = await rateRun(sys, r, STEP_S);
    result.rate.push(step);
    await sleep(3000);
    if (!step.ok) break;
  }
  // The best step level held --hold seconds; if that fails, the step level below it once.
  const passed = result.rate.filter((s) => s.ok).map((s) => s.level).reverse().slice(0, 2);
  for (const level of passed) {
    const held = await rateRun(sys, level, HOLD_S);
    if (held.ok) {
      result.held = { ...held, seconds: HOLD_S };
      return;
    }
    await sleep(3000);
  }
}

async function runSystem(which: 'sbc' | 'kamailio'): Promise<Result> {
  const uas = children.start(NS.pbx, 'sipp', ['-sf', 'uas.xml', '-i', ADDR.pbx, '-p', String(UAS_PORT), '-mi', ADDR.pbx, '-mp', '40000', '-nostdin', '-timeout', '7200s', '-max_socket', '20000', '-buff_size', String(4 << 20), ...DEBUG]);
  const sys = which === 'sbc' ? await startSbc(children, join(dir, 'sbc'), NS) : await startKamailio(children, dir, NS);
  await sleep(3000);
  const idle = sampleMemory(sys);
  await markIfProbed(sys, 'idle', true);
  const memory: Record<string, Memory> = Object.fromEntries(sys.parts.map((p) => [p.label, { idle: idle[p.label] ?? 0, peak: idle[p.label] ?? 0, after: 0 }]));
  const sampler = setInterval(() => {
    for (const [label, bytes] of Object.entries(sampleMemory(sys))) {
      const m = memory[label];
      if (m !== undefined) m.peak = Math.max(m.peak, bytes);
    }
  }, 1000);
  const result: Result = { name: sys.name, concurrency: [], rate: [], memory, droppedDatagrams: 0 };
  try {
    await concurrencySteps(sys, result);
    await rateSearch(sys, result);
    process.stdout.write(`${sys.name}: load ended; memory again in ${AFTER_S} s\n`);
    await markIfProbed(sys, 'ended');
    await sleep(AFTER_S * 1000);
    for (const [label, bytes] of Object.entries(sampleMemory(sys))) {
      const m = memory[label];
      if (m !== undefined) m.after = bytes;
    }
    await markIfProbed(sys, 'after', true);
  } finally {
    clearInterval(sampler);
    await sys.stop();
    await children.stop(uas);
  }
  return result;
}

const best = (steps: Level[]): Level | undefined => steps.filter((s) => s.ok).pop();
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '-' : (a / b).toFixed(2));

function report(sbc: Result, kam: Result | undefined): void {
  const c = (r: Result | undefined): Level | undefined => (r === undefined ? undefined : best(r.concurrency));
  const rows: Array<[string, string, string, string]> = [
    ['', sbc.name, kam?.name ?? '(not run)', 'ours ÷ theirs'],
    ['max concurrent calls (loss < 0.1 %, 0 failed)', String(c(sbc)?.level ?? 0), String(c(kam)?.level ?? '-'), ratio(c(sbc)?.level ?? 0, c(kam)?.level)],
    [`max call rate in ${STEP_S} s steps (calls/s)`, String(best(sbc.rate)?.level ?? 0), String(kam === undefined ? '-' : best(kam.rate)?.level ?? 0), ratio(best(sbc.rate)?.level ?? 0, kam === undefined ? undefined : best(kam.rate)?.level)],
    [`call rate held ${HOLD_S} s, 0 failed (calls/s)`, String(sbc.held?.level ?? 0), String(kam === undefined ? '-' : kam.held?.level ?? 0), ratio(sbc.held?.level ?? 0, kam?.held?.level)],
    ['CPU per call at the held rate (ms)', sbc.held?.cpuMsPerCall?.toFixed(3) ?? '-', kam?.held?.cpuMsPerCall?.toFixed(3) ?? '-', ratio(sbc.held?.cpuMsPerCall, kam?.held?.cpuMsPerCall)],
    ['CPU per call-second at max concurrency (ms)', c(sbc)?.cpuMsPerCallSecond?.toFixed(3) ?? '-', c(kam)?.cpuMsPerCallSecond?.toFixed(3) ?? '-', ratio(c(sbc)?.cpuMsPerCallSecond, c(kam)?.cpuMsPerCallSecond)],
  ];
  const memRow = (r: Result | undefined, what: keyof Memory): string => (r === undefined ? '-' : Object.entries(r.memory).map(([l, m]) => `${l} ${mib(m[what])}`).join(', '));
  const total = (r: Result | undefined, what: keyof Memory): number | undefined => (r === undefined ? undefined : Object.values(r.memory).reduce((n, m) => n + m[what], 0));
  for (const what of ['idle', 'peak', 'after'] as const) {
    rows.push([`memory ${what === 'after' ? `${AFTER_S} s after the load` : what} (MiB)`, memRow(sbc, what), memRow(kam, what), ratio(total(sbc, what), total(kam, what))]);
  }
  process.stdout.write(`\n${rows.map((r) => r.map((cell, i) => cell.padEnd(i === 0 ? 48 : 30)).join(' ')).join('\n')}\n`);
  process.stdout.write(`levels: concurrency ${CONCURRENCY.join(',')} (ramp ${RAMP_RATE} calls/s, loss over ${WINDOW_MS / 1000} s with all calls up); rates ${RATES.join(',')} (${STEP_S} s steps, 1 s calls), hold ${HOLD_S} s; `
    + `memory: proportional set size of each system's processes (Kamailio's shared memory counted once); tunnel datagrams dropped ${sbc.droppedDatagrams}\n`);
  if (MARKS !== undefined) process.stdout.write(MARKS.report(['agent', 'hub']));
  if (flags.json) process.stdout.write(`${JSON.stringify({ sbc, kamailio: kam ?? null })}\n`);
}

async function main(): Promise<void> {
  setupNetwork();
  const only = flags.only;
  const sbc = only === 'kamailio' ? undefined : await runSystem('sbc');
  let kam: Result | undefined;
  if (only !== 'sbc') {
    try {
      execFileSync('rtpengine', ['--version'], { stdio: 'ignore' });
      kam = await runSystem('kamailio');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      process.stdout.write('rtpengine not installed (scripts/install-test-deps.sh installs rtpengine-daemon): no comparison run\n');
    }
  }
  report(sbc ?? { name: 'agent+tunnel+hub (not run)', concurrency: [], rate: [], memory: {}, droppedDatagrams: 0 }, kam);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
}).finally(async () => {
  await children.stopAll();
  bed.remove();
  if (DEBUG.length === 0) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
});
