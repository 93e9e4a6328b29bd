/**
 * Soak (issue 17, "What must be shown" 7): calls held up through the tunnel while the agent's WAN
 * flaps, in network namespaces this program creates (10.217.x.y exists only inside them):
 *
 *   SIPp UAC 10.217.1.10 ┐
 *   SIPp phones 10.217.1.11 ┴ lan0 10.217.1.1 [sbc-agent run] wan0 10.217.2.2 ── 10.217.2.1 [sbc-agent hub] ── Kamailio ── SIPp UAS (127.0.0.1)
 *
 * `npm run soak -- --minutes 10 --calls 100 [--phones 20] [--down 10] [--up 20] [--raw FILE]`: places the calls (G.711 RTP
 * both ways, SIPp rtp_stream), then for the given minutes takes wan0 down for `down` seconds every
 * `down + up` seconds (`ip link set wan0 down/up` inside the agent's namespace). Measures:
 *
 * - calls: SIPp's successful and failed counts once every call has hung up at the end (a call the
 *   tunnel dropped fails its BYE, or is ended early by the far side: both count as failed);
 * - registrations: SIPp phones (10.217.1.11, test/support/soak-phones.ts) register through the
 *   agent to Kamailio for 60 s and refresh every 20–30 s all along, the agent asking Kamailio for
 *   60 s too, so every refresh crosses the tunnel: each phone's 200s, failed answers and Timer F
 *   timeouts, the longest time a phone went without a 200, the phones' bindings in Kamailio's
 *   location table (`kamcmd ul.dump`) every 5 s and at the end, and in the agent's status at the end;
 * - audio back after each return: RTP packets/s arriving at each side (nftables counters on the
 *   SIPp media ports, read every 100 ms, test/support/soak-rtp.ts), the time from asking for
 *   `link up` until both directions are back to 90 % of their rate before the first flap; beside it, per flap, when
 *   the agent logged its tunnel up again and when the first packets came back both ways;
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
import { parsePhoneLog, pbxBindings, PHONE_EXPIRES_S, phoneFigures, phoneScenario, phonesCsv, phoneUsers, REFRESH_MAX_MS, type PhoneFigures } from '../test/support/soak-phones.js';
import { audioBack, firstPackets, NftCounter, rateOver, type Rates, type RtpSample } from '../test/support/soak-rtp.js';
import { UAC_XML, UAS_XML } from './calls-scenarios.js';

const AGENT_LAN = '10.217.1.1';
const CALLER = '10.217.1.10';
const PHONES_ADDRESS = '10.217.1.11';
const HUB = '10.217.2.1';
const SAMPLE_MS = 100;
const RESOURCE_SAMPLE_MS = 5_000;
const PBX_SAMPLE_MS = 5_000;
/** Phones start at this rate, so their digest nonces (Kamailio: 300 s) do not all grow stale at once. */
const PHONES_PER_S = 4;

export interface SoakOptions {
  readonly minutes: number;
  readonly calls: number;
  /** Registered phones refreshing through the tunnel all along (default 20). */
  readonly phones?: number;
  readonly downSeconds?: number;
  readonly upSeconds?: number;
  readonly log?: (line: string) => void;
  /** Writes the raw samples (RTP counts, link-up times, the agent's tunnel log lines) here as JSON. */
  readonly rawFile?: string;
}

export interface ResourceFigures {
  readonly rssKb: number;
  readonly fds: number;
}

/** One return of the WAN, ms after `link up` was asked for (Infinity: not within the up time). */
export interface FlapFigures {
  /** How long `ip link set wan0 up` took to return. */
  readonly commandMs: number;
  /** The agent logged its tunnel up again (resumed or not). */
  readonly tunnelUpMs: number;
  readonly resumed: boolean | undefined;
  /** Reconnect attempts the agent logged while the link was down. */
  readonly attempts: number;
  /** The first 100 ms period with packets arriving both ways. */
  readonly firstPacketsMs: number;
  /** The first period with both ways back to 90 % of their rate before the first flap. */
  readonly audioBackMs: number;
}

export interface RegistrationFigures extends PhoneFigures {
  /** Fewest of the phones' AoRs in Kamailio's location table at any 5 s sample. */
  readonly pbxFewest: number;
  readonly pbxSamples: number;
  /** The phones' AoRs in Kamailio's location table at the end of the soak. */
  readonly atPbx: number;
  /** The phones' bindings in the agent's status at the end of the soak. */
  readonly atAgent: number;
}

export interface SoakResult {
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly flaps: number;
  /** Per flap, ms from `link up` until audio was back both ways (Infinity: never within the up time). */
  readonly audioBackMs: readonly number[];
  readonly perFlap: readonly FlapFigures[];
  /** RTP packets/s arriving at the caller and at the called side before the first flap. */
  readonly baselinePps: Rates;
  readonly registrations: RegistrationFigures;
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

interface TunnelLogLine { readonly time: number; readonly msg: string; readonly resumed?: boolean }

/** The agent's tunnel log lines (JSON on stderr, `time` in ISO 8601), their time in epoch ms. */
function tunnelLog(stderr: string): TunnelLogLine[] {
  const lines: TunnelLogLine[] = [];
  for (const text of stderr.split('\n')) {
    if (!text.includes('"msg":"tunnel')) continue;
    try {
      const line = JSON.parse(text) as { time: string; msg: string; resumed?: boolean };
      lines.push({ ...line, time: Date.parse(line.time) });
    } catch {
      // a line cut by the end of the capture
    }
  }
  return lines;
}

/** Per flap: the tunnel's return from the agent's log (wall clock) and the audio's from the samples. */
function flapFigures(rtp: readonly RtpSample[], log: readonly TunnelLogLine[], flap: { downWall: number; upWall: number; upAt: number; commandMs: number; until: number }, baseline: Rates): FlapFigures {
  const up = log.find((l) => l.msg === 'tunnel up' && l.time >= flap.upWall);
  const inside = up !== undefined && up.time - flap.upWall < flap.until - flap.upAt;
  return {
    commandMs: flap.commandMs,
    tunnelUpMs: inside ? up.time - flap.upWall : Number.POSITIVE_INFINITY,
    resumed: inside ? up.resumed : undefined,
    attempts: log.filter((l) => l.msg === 'tunnel reconnecting' && l.time >= flap.downWall && l.time < flap.upWall).length,
    firstPacketsMs: firstPackets(rtp, flap.upAt, flap.until),
    audioBackMs: audioBack(rtp, flap.upAt, flap.until, baseline),
  };
}

/** The phones' bindings in `sbc-agent status --json` (registrations.phones, as the run command publishes them). */
function agentBindings(statusJson: string, users: readonly string[]): number {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.aor === 'string' && typeof o.expiresInS === 'number' && o.expiresInS > 0) {
      const user = /^sips?:([^@;]+)@/.exec(o.aor)?.[1];
      if (user !== undefined && users.includes(user)) found.add(user);
    }
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(statusJson || '{}'));
  return found.size;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((): void => undefined);
  const downMs = (o.downSeconds ?? 10) * 1000;
  const upMs = (o.upSeconds ?? 20) * 1000;
  const soakMs = o.minutes * 60_000;
  const phoneCount = o.phones ?? 20;
  const users = phoneUsers(phoneCount);
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sbc-soak-'));
  const bed = new Testbed('soak');
  let pbx: PbxProcess | undefined;
  let hub: CliHub | undefined;
  let agent: CliProcess | undefined;
  let uas: ReturnType<typeof spawnCollect> | undefined;
  let uac: ReturnType<typeof spawnCollect> | undefined;
  let phones: ReturnType<typeof spawnCollect> | undefined;
  const counters: NftCounter[] = [];
  const ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  const stopAll = (): void => {
    for (const c of [uac?.child, uas?.child, phones?.child]) if (c?.exitCode === null) c.kill('SIGKILL');
  };
  process.once('SIGINT', stopAll);
  try {
    bed.link({ ns: ns.lan, dev: 'eth0', addr: `${CALLER}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
    bed.addAddress(ns.lan, 'eth0', `${PHONES_ADDRESS}/24`);
    bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.217.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
    bed.defaultRoute(ns.agent, HUB);
    for (const n of [ns.lan, ns.hub]) {
      bed.nft(n, 'table inet soak {\n chain pre {\n  type filter hook prerouting priority -300; policy accept;\n  udp dport 40000-49999 counter\n }\n}\n');
    }
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', '1000']);
    writeFileSync(join(dir, 'uac.xml'), uacXml);
    writeFileSync(join(dir, 'uas.xml'), UAS_XML);
    const ctlSocket = join(dir, 'kamailio.ctl');
    pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, { ctlSocket });
    const holdMs = soakMs + 15_000;
    uas = spawnCollect('ip', ['netns', 'exec', ns.hub, 'sipp', '-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', String(5060 + NOTIFIER_PORT_OFFSET), '-mi', '127.0.0.1', '-mp', '40000',
      '-nostdin', '-timeout', `${Math.ceil(holdMs / 1000) + 120}s`, '-max_socket', '5000'], dir);
    hub = await startCliHub({ dir, netns: ns.hub, yaml: namespaceHubYaml(HUB, 'warn') });
    const agentState = join(dir, 'agent');
    await enrollByCli(hub, 'branch-soak', agentState, ns.agent);
    const agentYaml = join(dir, 'agent.yaml');
    // info: the tunnel's down/reconnecting/up lines, which time each return. upstreamExpires at
    // its minimum: the phones' refreshes are not answered from the agent's cache but cross the tunnel.
    writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  upstreamExpires: 60s\n  pnp: { policy: off }\n  stun: { port: 0 }\n  media:\n    ports: { min: 31000, max: 31999 }\n');
    agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
    await agent.waitForOutput(/run: SBC 'branch-soak'/, 30_000);
    await waitTunnelUp(agentState, 15_000);
    log(`soak: rig up (agent pid ${String(agent.child.pid)}, hub pid ${String(hub.process.child.pid)}); ${phoneCount} phones registering, placing ${o.calls} calls`);

    const rate = Math.min(20, o.calls);
    // Every call up and its media flowing, and every phone registered, before the clock starts.
    const prestartMs = Math.max(o.calls / rate, phoneCount / PHONES_PER_S) * 1000 + 3_000;
    writeFileSync(join(dir, 'phone.xml'), phoneScenario(prestartMs + soakMs + 10_000));
    writeFileSync(join(dir, 'phones.csv'), phonesCsv(phoneCount));
    const phonesStarted = performance.now();
    phones = spawnCollect('ip', ['netns', 'exec', ns.lan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(dir, 'phone.xml'), '-inf', join(dir, 'phones.csv'), '-i', PHONES_ADDRESS, '-p', '5070',
      '-au', 'phone', '-ap', 'secret', '-m', String(phoneCount), '-r', String(PHONES_PER_S), '-l', String(phoneCount), '-nostdin', '-trace_logs', '-trace_err',
      '-timeout', `${Math.ceil((prestartMs + soakMs) / 1000) + 90}s`], dir);
    uac = spawnCollect('ip', ['netns', 'exec', ns.lan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(dir, 'uac.xml'), '-s', NOTIFIER_USER, '-i', CALLER, '-p', '5062', '-mi', CALLER, '-mp', '40000',
      '-m', String(o.calls), '-r', String(rate), '-l', String(o.calls), '-d', String(holdMs), '-nostdin', '-timeout', `${Math.ceil(holdMs / 1000) + 90}s`, '-timeout_error',
      '-trace_stat', '-fd', '5', '-max_socket', '5000'], dir);
    const agentPid = agent.child.pid ?? 0;
    const hubPid = hub.process.child.pid ?? 0;
    await sleep(prestartMs);

    counters.push(new NftCounter(ns.lan), new NftCounter(ns.hub));
    const [callerCounter, calledCounter] = counters as [NftCounter, NftCounter];
    const rtp: RtpSample[] = [];
    const agentSamples: { at: number; r: ResourceFigures }[] = [];
    const hubSamples: { at: number; r: ResourceFigures }[] = [];
    const pbxCounts: number[] = [];
    const t0 = performance.now();
    let sampling = true;
    const rtpLoop = (async (): Promise<void> => {
      while (sampling) {
        const next = performance.now() + SAMPLE_MS;
        const [a, b] = await Promise.all([callerCounter.read(), calledCounter.read()]);
        rtp.push({ callerAt: a.at - t0, caller: a.packets, calledAt: b.at - t0, called: b.packets });
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    const sampleResources = (): void => {
      const at = performance.now() - t0;
      agentSamples.push({ at, r: resources(agentPid) });
      hubSamples.push({ at, r: resources(hubPid) });
    };
    const samplePbx = (): void => {
      void pbxBindings(ctlSocket).then((live) => pbxCounts.push(users.filter((u) => live.has(u)).length), () => pbxCounts.push(0));
    };
    sampleResources();
    samplePbx();
    const resourceTimer = setInterval(sampleResources, RESOURCE_SAMPLE_MS);
    const pbxTimer = setInterval(samplePbx, PBX_SAMPLE_MS);
    const flaps: { downWall: number; downAt: number; upWall: number; upAt: number; commandMs: number }[] = [];
    try {
      // up, then (down, up) while a whole up time still follows the return: the first up time is the baseline.
      while (performance.now() - t0 + upMs + downMs + upMs <= soakMs) {
        await sleep(upMs);
        bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'down']);
        const downWall = Date.now();
        const downAt = performance.now() - t0;
        log(`soak: ${Math.round((performance.now() - t0) / 1000)} s: wan0 down`);
        await sleep(downMs);
        // The return is timed from the moment `link up` is asked for: the command itself takes
        // 20–150 ms on this machine, and the agent was seen back before it had returned.
        const upWall = Date.now();
        const upAt = performance.now() - t0;
        bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'up']);
        flaps.push({ downWall, downAt, upWall, upAt, commandMs: performance.now() - t0 - upAt });
        log(`soak: ${Math.round((performance.now() - t0) / 1000)} s: wan0 up`);
      }
      await sleep(Math.max(0, soakMs - (performance.now() - t0)));
    } finally {
      sampling = false;
      await rtpLoop;
      clearInterval(resourceTimer);
      clearInterval(pbxTimer);
      bed.exec(ns.agent, 'ip', ['link', 'set', 'wan0', 'up']);
    }
    const soakEndTick = performance.now() - phonesStarted;
    const atPbx = await pbxBindings(ctlSocket).then((live) => users.filter((u) => live.has(u)).length, () => 0);
    const status = await runCli(['status', '--json', '--state-dir', agentState]);
    const reconnects = status.code === 0
      ? (JSON.parse(status.stdout) as { agent?: { tunnels?: { reconnects?: number }[] } }).agent?.tunnels?.[0]?.reconnects
      : undefined;
    const atAgent = status.code === 0 ? agentBindings(status.stdout, users) : 0;
    const baselinePps = rateOver(rtp, 0, Math.min(upMs, soakMs));
    const tunnelLines = tunnelLog(agent.stderr);
    const perFlap = flaps.map((f, i) => flapFigures(rtp, tunnelLines, { ...f, until: flaps[i + 1] === undefined ? soakMs : (flaps[i + 1]?.upAt ?? 0) - downMs }, baselinePps));
    const firstMinute = (s: { at: number; r: ResourceFigures }[]): ResourceFigures => mean(s.filter((x) => x.at < 60_000).map((x) => x.r));
    const lastMinute = (s: { at: number; r: ResourceFigures }[]): ResourceFigures => mean(s.filter((x) => x.at >= soakMs - 60_000).map((x) => x.r));
    if (o.rawFile !== undefined) writeFileSync(o.rawFile, JSON.stringify({ flaps, rtp, tunnelLines, pbxCounts }));

    log('soak: waiting for the calls to hang up and the phones to stop');
    const [finished] = await Promise.all([uac.done, phones.done]);
    const csv = readdirSync(dir).find((f) => f.startsWith('uac_') && f.endsWith('_.csv'));
    const stats = csv === undefined ? new Map<string, string>() : lastStatsRow(readFileSync(join(dir, csv), 'utf8'));
    const successful = Number(stats.get('SuccessfulCall(C)') ?? Number.NaN);
    const failed = Number(stats.get('FailedCall(C)') ?? Number.NaN);
    if (Number.isNaN(successful)) log(`soak: no SIPp statistics; sipp said: ${finished.stdout.slice(-1500)} ${finished.stderr.slice(-800)}`);
    const phoneLog = readdirSync(dir).find((f) => f.startsWith('phone_') && f.endsWith('_logs.log'));
    const phoneEvents = parsePhoneLog(phoneLog === undefined ? '' : readFileSync(join(dir, phoneLog), 'utf8'));
    const phoneErrors = readdirSync(dir).find((f) => f.startsWith('phone_') && f.endsWith('_errors.log'));
    if (phoneErrors !== undefined) log(`soak: phone SIPp errors: ${readFileSync(join(dir, phoneErrors), 'utf8').slice(-1500)}`);
    return {
      calls: o.calls,
      successful,
      failed,
      flaps: flaps.length,
      audioBackMs: perFlap.map((f) => f.audioBackMs),
      perFlap,
      baselinePps,
      registrations: {
        ...phoneFigures(phoneEvents, users, soakEndTick, flaps.map((f) => [f.downAt + t0 - phonesStarted, f.upAt + t0 - phonesStarted] as const)),
        pbxFewest: Math.min(...pbxCounts), pbxSamples: pbxCounts.length, atPbx, atAgent,
      },
      agent: { first: firstMinute(agentSamples), last: lastMinute(agentSamples) },
      hub: { first: firstMinute(hubSamples), last: lastMinute(hubSamples) },
      reconnects,
      elapsedMs: performance.now() - started,
    };
  } finally {
    process.removeListener('SIGINT', stopAll);
    for (const c of counters) c.close();
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

/** No registration lost: every phone kept its binding all along, in the PBX and in the agent, and recovered from every failure. */
export function registrationsKept(r: RegistrationFigures): boolean {
  return r.lost.length === 0 && r.unrecovered === 0 && r.atPbx === r.phones && r.atAgent === r.phones && r.pbxFewest === r.phones;
}

const ms = (x: number): string => (Number.isFinite(x) ? String(Math.round(x)) : 'never');

/** The figures as the program prints them (also in the suite's output). */
export function soakReport(r: SoakResult): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const g = r.registrations;
  const failed = Object.entries(g.failed).map(([status, n]) => `${n}×${status}`).join(', ') || 'none';
  const lines = [
    `calls ${r.successful}/${r.calls} ok, ${r.failed} failed; ${r.flaps} flaps; tunnel reconnects ${String(r.reconnects)}`,
    `RTP before the first flap: ${Math.round(r.baselinePps.caller)} pkt/s to the caller, ${Math.round(r.baselinePps.called)} pkt/s to the called side`,
    `audio back after each return (ms): ${r.audioBackMs.map(ms).join(', ')}; worst ${ms(Math.max(...r.audioBackMs))}`,
    ...r.perFlap.map((f, i) => `  flap ${i + 1}: ${f.attempts} attempts while down; link up in ${ms(f.commandMs)} ms; tunnel up ${ms(f.tunnelUpMs)} ms after (${f.resumed === true ? 'resumed' : f.resumed === false ? 'NEW SESSION' : '?'}), first packets both ways ${ms(f.firstPacketsMs)} ms, 90 % ${ms(f.audioBackMs)} ms`),
    `registrations: ${g.phones} phones, ${g.registered} REGISTERs answered 200, failed answers ${failed}, ${g.timeouts} Timer F timeouts, ${g.unrecovered} not recovered within ${REFRESH_MAX_MS / 1000} s; longest without a 200 ${Math.round(g.longestGapMs / 1000)} s (binding ${PHONE_EXPIRES_S} s); lost ${g.lost.length === 0 ? 'none' : g.lost.join(' ')}`,
    `  ${g.sentInCuts} REGISTERs sent while the WAN was cut; slowest answer ${(g.slowestAnswerMs / 1000).toFixed(1)} s`,
    `  bound at the PBX: fewest ${g.pbxFewest}/${g.phones} over ${g.pbxSamples} samples, ${g.atPbx}/${g.phones} at the end; in the agent's status at the end ${g.atAgent}/${g.phones}`,
    ...(['agent', 'hub'] as const).map((who) => {
      const { first, last } = r[who];
      return `${who}: RSS ${first.rssKb} → ${last.rssKb} kB (${pct(growth(first.rssKb, last.rssKb))}), fds ${first.fds} → ${last.fds} (${pct(growth(first.fds, last.fds))})`;
    }),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const minutes = Number(flag('minutes') ?? '10');
  const calls = Number(flag('calls') ?? '100');
  const raw = flag('raw');
  const result = await runSoak({
    minutes, calls, phones: Number(flag('phones') ?? '20'), downSeconds: Number(flag('down') ?? '10'), upSeconds: Number(flag('up') ?? '20'),
    log: (l) => process.stdout.write(`${l}\n`), ...(raw === undefined ? {} : { rawFile: raw }),
  });
  process.stdout.write(`soak: ${minutes} min\n${soakReport(result).replace(/^/gm, '  ')}\n`);
  const ok = result.failed === 0 && result.successful === result.calls && result.audioBackMs.every((x) => x <= 2000) && registrationsKept(result.registrations)
    && (['agent', 'hub'] as const).every((w) => growth(result[w].first.rssKb, result[w].last.rssKb) <= 0.1 && growth(result[w].first.fds, result[w].last.fds) <= 0.1);
  process.stdout.write(`soak: ${ok ? 'PASS' : 'FAIL'} (${Math.round(result.elapsedMs / 1000)} s)\n`);
  process.exitCode = ok ? 0 : 1;
}
