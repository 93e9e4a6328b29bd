/**
 * Soak (issue 17, "What must be shown" 7): calls held up through the tunnel while the agent's WAN
 * flaps, in network namespaces this program creates (10.217.x.y exists only inside them):
 *
 *   SIPp UAC 10.217.1.10 ── lan0 10.217.1.1 [sbc-agent run] wan0 10.217.2.2 ── 10.217.2.1 [sbc-agent hub] ── Kamailio ── SIPp UAS (127.0.0.1)
 *
 * `npm run soak -- --minutes 10 --calls 100 [--down 10] [--up 20]`: places the calls (G.711 RTP
 * both ways, SIPp rtp_stream), then for the given minutes takes wan0 down for `down` seconds every
 * `down + up` seconds (`ip link set wan0 down/up` inside the agent's namespace). Measures:
 *
 * - calls: SIPp's successful and failed counts once every call has hung up at the end (a call the
 *   tunnel dropped fails its BYE, or is ended early by the far side: both count as failed);
 * - audio back after each return: RTP packets/s arriving at each side (nftables counters on the
 *   SIPp media ports, sampled every 100 ms), the time from `link up` until both directions are back
 *   to 90 % of their rate before the first flap;
 * - the tunnel's reconnects (`status --json`), and the resident memory and open file descriptors
 *   of the agent and the hub (/proc/PID/status VmRSS, /proc/PID/fd) every 5 s: the mean of the
 *   last minute against the mean of the first.
 *
 * Bounded: everything stops by itself after the minutes given plus about a minute; only
 * processes started here are ended, by pid (Kamailio by its own process group).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../test/support/cli-hub.js';
import { CliProcess, runCli } from '../test/support/integ-process.js';
import { Testbed } from '../test/support/netns.js';
import { spawnCollect } from '../test/support/pnp-e2e.js';
import { NOTIFIER_PORT_OFFSET, NOTIFIER_USER, startPbx, type PbxProcess } from '../test/support/sbc-kamailio.js';
import { lastStatsRow } from '../test/support/sipp.js';
import { UAC_XML, UAS_XML } from './calls-scenarios.js';

const AGENT_LAN = '10.217.1.1';
const CALLER = '10.217.1.10';
const HUB = '10.217.2.1';
const SAMPLE_MS = 100;
const RESOURCE_SAMPLE_MS = 5_000;
/** Audio is back when a direction carries this share of its rate before the first flap. */
const BACK_SHARE = 0.9;

export interface SoakOptions {
  readonly minutes: number;
  readonly calls: number;
  readonly downSeconds?: number;
  readonly upSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface ResourceFigures {
  readonly rssKb: number;
  readonly fds: number;
}

export interface SoakResult {
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly flaps: number;
  /** Per flap, ms from `link up` until audio was back both ways (Infinity: never within the up time). */
  readonly audioBackMs: readonly number[];
  /** RTP packets/s arriving at the caller and at the called side before the first flap. */
  readonly baselinePps: { readonly caller: number; readonly called: number };
  readonly agent: { readonly first: ResourceFigures; readonly last: ResourceFigures };
  readonly hub: { readonly first: ResourceFigures; readonly last: ResourceFigures };
  readonly reconnects: number | undefined;
  readonly elapsedMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The caller's From is a name, so the PBX does not challenge it (as in test/e2e/flood.test.ts). */
const uacXml = UAC_XML.replaceAll('<sip:load@[local_ip]:[local_port]>;tag', '<sip:load@branch.example>;tag');

function resources(pid: number): ResourceFigures {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssKb: Number(m?.[1] ?? Number.NaN), fds: readdirSync(`/proc/${pid}/fd`).length };
}

function mean(samples: readonly ResourceFigures[]): ResourceFigures {
  const n = Math.max(1, samples.length);
  return { rssKb: Math.round(samples.reduce((a, s) => a + s.rssKb, 0) / n), fds: Math.round((samples.reduce((a, s) => a + s.fds, 0) / n) * 10) / 10 };
}

interface RtpSample { readonly at: number; readonly caller: number; readonly called: number }

/** Packets into the SIPp media ports (40000-49999) of a namespace, counted by the table made in setup. */
function rtpIn(bed: Testbed, ns: string): number {
  const text = bed.exec(ns, 'nft', ['-j', 'list', 'table', 'inet', 'soak']);
  return Number(/"packets":\s*(\d+)/.exec(text)?.[1] ?? 0);
}

/** Packets/s of each direction between samples i-1 and i. */
function rateAt(samples: readonly RtpSample[], i: number): { caller: number; called: number } {
  const a = samples[i - 1];
  const b = samples[i];
  if (a === undefined || b === undefined || b.at === a.at) return { caller: 0, called: 0 };
  const s = (b.at - a.at) / 1000;
  return { caller: (b.caller - a.caller) / s, called: (b.called - a.called) / s };
}

/** Mean packets/s over [from, to). */
function rateOver(samples: readonly RtpSample[], from: number, to: number): { caller: number; called: number } {
  const inside = samples.filter((s) => s.at >= from && s.at < to);
  const a = inside[0];
  const b = inside.at(-1);
  if (a === undefined || b === undefined || b.at === a.at) return { caller: 0, called: 0 };
  const s = (b.at - a.at) / 1000;
  return { caller: (b.caller - a.caller) / s, called: (b.called - a.called) / s };
}

/** ms from `upAt` to the first interval where both directions are back to BACK_SHARE of the baseline. */
export function audioBack(samples: readonly RtpSample[], upAt: number, until: number, baseline: { caller: number; called: number }): number {
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i - 1];
    if (s === undefined || s.at < upAt) continue;
    if (s.at >= until) break;
    const r = rateAt(samples, i);
    if (r.caller >= baseline.caller * BACK_SHARE && r.called >= baseline.called * BACK_SHARE) return s.at - upAt;
  }
  return Number.POSITIVE_INFINITY;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((): void => undefined);
  const downMs = (o.downSeconds ?? 10) * 1000;
  const upMs = (o.upSeconds ?? 20) * 1000;
  const soakMs = o.minutes * 60_000;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sbc-soak-'));
  const bed = new Testbed('soak');
  let pbx: PbxProcess | undefined;
  let hub: CliHub | undefined;
  let agent: CliProcess | undefined;
  let uas: ReturnType<typeof spawnCollect> | undefined;
  let uac: ReturnType<typeof spawnCollect> | undefined;
  const ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  const stopAll = (): void => {
    for (const c of [uac?.child, uas?.child]) if (c?.exitCode === null) c.kill('SIGKILL');
  };
  process.once('SIGINT', stopAll);
  try {
    bed.link({ ns: ns.lan, dev: 'eth0', addr: `${CALLER}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
    bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.217.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
    bed.defaultRoute(ns.agent, HUB);
    for (const n of [ns.lan, ns.hub]) {
      bed.nft(n, 'table inet soak {\n chain pre {\n  type filter hook prerouting priority -300; policy accept;\n  udp dport 40000-49999 counter\n }\n}\n');
    }
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', '1000']);
    writeFileSync(join(dir, 'uac.xml'), uacXml);
    writeFileSync(join(dir, 'uas.xml'), UAS_XML);
    pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
    const holdMs = soakMs + 15_000;
    uas = spawnCollect('ip', ['netns', 'exec', ns.hub, 'sipp', '-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', String(5060 + NOTIFIER_PORT_OFFSET), '-mi', '127.0.0.1', '-mp', '40000',
      '-nostdin', '-timeout', `${Math.ceil(holdMs / 1000) + 120}s`, '-max_socket', '5000'], dir);
    hub = await startCliHub({ dir, netns: ns.hub, yaml: namespaceHubYaml(HUB, 'warn') });
    const agentState = join(dir, 'agent');
    await enrollByCli(hub, 'branch-soak', agentState, ns.agent);
    const agentYaml = join(dir, 'agent.yaml');
    writeFileSync(agentYaml, 'log:\n  level: warn\nagent:\n  pnp: { policy: off }\n  stun: { port: 0 }\n  media:\n    ports: { min: 31000, max: 31999 }\n');
    agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
    await agent.waitForOutput(/run: SBC 'branch-soak'/, 30_000);
    await waitTunnelUp(agentState, 15_000);
    log(`soak: rig up (agent pid ${String(agent.child.pid)}, hub pid ${String(hub.process.child.pid)}); placing ${o.calls} calls`);

    const rate = Math.min(20, o.calls);
    uac = spawnCollect('ip', ['netns', 'exec', ns.lan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(dir, 'uac.xml'), '-s', NOTIFIER_USER, '-i', CALLER, '-p', '5062', '-mi', CALLER, '-mp', '40000',
      '-m', String(o.calls), '-r', String(rate), '-l', String(o.calls), '-d', String(holdMs), '-nostdin', '-timeout', `${Math.ceil(holdMs / 1000) + 90}s`, '-timeout_error',
      '-trace_stat', '-fd', '5', '-max_socket', '5000'], dir);
    const agentPid = agent.child.pid ?? 0;
    const hubPid = hub.process.child.pid ?? 0;
    // Every call up and its media flowing before the clock starts.
    await sleep((o.calls / rate) * 1000 + 3_000);

    const rtp: RtpSample[] = [];
    const agentSamples: { at: number; r: ResourceFigures }[] = [];
    const hubSamples: { at: number; r: ResourceFigures }[] = [];
    const t0 = performance.now();
    const sampleRtp = (): void => {
      rtp.push({ at: performance.now() - t0, caller: rtpIn(bed, ns.lan), called: rtpIn(bed, ns.hub) });
    };
    const sampleResources = (): void => {
      const at = performance.now() - t0;
      agentSamples.push({ at, r: resources(agentPid) });
      hubSamples.push({ at, r: resources(hubPid) });
    };
    sampleRtp();
    sampleResources();
    const rtpTimer = setInterval(sampleRtp, SAMPLE_MS);
    const resourceTimer = setInterval(sampleResources, RESOURCE_SAMPLE_MS);
    const ups: number[] = [];
    try {
      // up, then (down, up) while a whole up time still follows the return: the first up time is the baseline.
      while (performance.now() - t0 + upMs + downMs + upMs <= soakMs) {
        await sleep(upMs);
        bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'down']);
        log(`soak: ${Math.round((performance.now() - t0) / 1000)} s: wan0 down`);
        await sleep(downMs);
        bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'up']);
        ups.push(performance.now() - t0);
        log(`soak: ${Math.round((performance.now() - t0) / 1000)} s: wan0 up`);
      }
      await sleep(Math.max(0, soakMs - (performance.now() - t0)));
    } finally {
      clearInterval(rtpTimer);
      clearInterval(resourceTimer);
      bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'up']);
    }
    const status = await runCli(['status', '--json', '--state-dir', agentState]);
    const reconnects = status.code === 0
      ? (JSON.parse(status.stdout) as { agent?: { tunnels?: { reconnects?: number }[] } }).agent?.tunnels?.[0]?.reconnects
      : undefined;
    const baselinePps = rateOver(rtp, 0, Math.min(upMs, soakMs));
    const audioBackMs = ups.map((at, i) => audioBack(rtp, at, ups[i + 1] === undefined ? soakMs : (ups[i + 1] ?? 0) - downMs, baselinePps));
    const firstMinute = (s: { at: number; r: ResourceFigures }[]): ResourceFigures => mean(s.filter((x) => x.at < 60_000).map((x) => x.r));
    const lastMinute = (s: { at: number; r: ResourceFigures }[]): ResourceFigures => mean(s.filter((x) => x.at >= soakMs - 60_000).map((x) => x.r));

    log('soak: waiting for the calls to hang up');
    const finished = await uac.done;
    const csv = readdirSync(dir).find((f) => f.startsWith('uac_') && f.endsWith('_.csv'));
    const stats = csv === undefined ? new Map<string, string>() : lastStatsRow(readFileSync(join(dir, csv), 'utf8'));
    const successful = Number(stats.get('SuccessfulCall(C)') ?? Number.NaN);
    const failed = Number(stats.get('FailedCall(C)') ?? Number.NaN);
    if (Number.isNaN(successful)) log(`soak: no SIPp statistics; sipp said: ${finished.stdout.slice(-1500)} ${finished.stderr.slice(-800)}`);
    return {
      calls: o.calls,
      successful,
      failed,
      flaps: ups.length,
      audioBackMs,
      baselinePps,
      agent: { first: firstMinute(agentSamples), last: lastMinute(agentSamples) },
      hub: { first: firstMinute(hubSamples), last: lastMinute(hubSamples) },
      reconnects,
      elapsedMs: performance.now() - started,
    };
  } finally {
    process.removeListener('SIGINT', stopAll);
    stopAll();
    await agent?.stop('SIGINT');
    if (uas !== undefined && uas.child.exitCode === null) {
      uas.child.kill('SIGUSR1');
      setTimeout(() => uas?.child.kill('SIGKILL'), 2000).unref();
    }
    await hub?.process.stop();
    await pbx?.stop();
    bed.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitTunnelUp(agentState: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runCli(['status', '--json', '--state-dir', agentState]);
    const s = JSON.parse(r.stdout || '{}') as { agent?: { running: boolean; tunnels: { state: string }[] } };
    if (s.agent?.running === true && s.agent.tunnels[0]?.state === 'up') return;
    if (Date.now() > deadline) throw new Error('the tunnel did not come up');
    await sleep(250);
  }
}

/** Growth of the last minute's mean over the first's, as a fraction. */
export function growth(first: number, last: number): number {
  return first === 0 ? 0 : (last - first) / first;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const minutes = Number(flag('minutes') ?? '10');
  const calls = Number(flag('calls') ?? '100');
  const result = await runSoak({ minutes, calls, downSeconds: Number(flag('down') ?? '10'), upSeconds: Number(flag('up') ?? '20'), log: (l) => process.stdout.write(`${l}\n`) });
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const back = result.audioBackMs.map((ms) => (Number.isFinite(ms) ? Math.round(ms) : 'never'));
  process.stdout.write(`soak: ${minutes} min, ${result.flaps} flaps; calls ${result.successful}/${result.calls} ok, ${result.failed} failed; tunnel reconnects ${String(result.reconnects)}\n`);
  process.stdout.write(`  RTP before the first flap: ${Math.round(result.baselinePps.caller)} pkt/s to the caller, ${Math.round(result.baselinePps.called)} pkt/s to the called side\n`);
  process.stdout.write(`  audio back after each return (ms): ${back.join(', ')}; worst ${String(back.some((b) => b === 'never') ? 'never' : Math.max(...(back as number[])))}\n`);
  for (const who of ['agent', 'hub'] as const) {
    const { first, last } = result[who];
    process.stdout.write(`  ${who}: RSS ${first.rssKb} → ${last.rssKb} kB (${pct(growth(first.rssKb, last.rssKb))}), fds ${first.fds} → ${last.fds} (${pct(growth(first.fds, last.fds))})\n`);
  }
  const ok = result.failed === 0 && result.successful === result.calls && result.audioBackMs.every((ms) => ms <= 2000)
    && (['agent', 'hub'] as const).every((w) => growth(result[w].first.rssKb, result[w].last.rssKb) <= 0.1 && growth(result[w].first.fds, result[w].last.fds) <= 0.1);
  process.stdout.write(`soak: ${ok ? 'PASS' : 'FAIL'} (${Math.round(result.elapsedMs / 1000)} s)\n`);
  process.exitCode = ok ? 0 : 1;
}
