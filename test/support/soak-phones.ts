/**
 * Registered phones for the soak (bench/soak.ts, issue 17 "no registration lost"): one SIPp process
 * plays N phones (users 3001, 3002...), each registering through the agent to Kamailio with a short
 * lifetime (PHONE_EXPIRES_S) and refreshing every 20–30 s for the whole soak, so refreshes fall
 * into the WAN cuts. The agent is run with `agent.upstreamExpires` at its minimum (60 s), so it
 * cannot answer those refreshes from its cache (src/sbc/registrations.ts): each one crosses the
 * tunnel to the PBX.
 *
 * Each phone writes a line per REGISTER sent (`SEND user tick`) and per outcome to SIPp's log
 * (`-trace_logs`): `OK user tick`,
 * `FAIL user tick status` (a final answer other than 200 or the digest challenge) and
 * `TIMEOUT user tick` (no final answer within Timer F, RFC 3261 §17.1.2.2: 64·T1 = 32 s). After a
 * failure a phone starts again 5–10 s later, as phones do, and keeps refreshing. `tick` is SIPp's
 * clock (ms since it started). Kamailio's password is the same for every user, so one digest
 * username (`-au`) serves all phones.
 *
 * SIPp's [branch] is the same each time one <send> is played again, and a refresh with its last
 * REGISTER's branch is, by RFC 3261 §17.2.3, a retransmission of it (the agent answered the new
 * CSeq with the old 200, and SIPp, taking that for a retransmitted 200, sent again, in a loop
 * the agent's rate limit blocked): the branch carries the CSeq, so each REGISTER has its own.
 *
 * A phone does not retransmit its REGISTER over UDP: the veth between it and the agent loses
 * nothing, and the agent's server transaction would absorb the retransmissions anyway; what is
 * tested is how long the answer takes to come back through a cut tunnel.
 */
import { execFile } from 'node:child_process';

/** The lifetime each phone asks for, s: the PBX drops a binding not refreshed within it. */
export const PHONE_EXPIRES_S = 60;
/** A phone refreshes this long after its last 200 (uniformly between the two). */
export const REFRESH_MIN_MS = 20_000;
export const REFRESH_MAX_MS = 30_000;
/** And tries again this long after a failure. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 10_000;
/** Timer F (RFC 3261 §17.1.2.2): 64·T1. */
const TIMER_F_MS = 32_000;
/** Final answers a phone takes as a failed registration (any other is unexpected: SIPp ends that phone, which then shows as lost). */
const FAILURE_STATUSES = [403, 404, 408, 420, 480, 481, 482, 483, 486, 500, 502, 503, 504];
export const FIRST_PHONE_USER = 3001;

export function phoneUsers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(FIRST_PHONE_USER + i));
}

/** SIPp's injection file: one user a line, each phone (SIPp call) takes the next. */
export function phonesCsv(count: number): string {
  return `SEQUENTIAL\n${phoneUsers(count).join('\n')}\n`;
}

function register(withCredentials: boolean): string {
  return `  <nop><action><log message="SEND [field0] [clock_tick]"/></action></nop>
  <send><![CDATA[
REGISTER sip:pbx.test SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]-[cseq];rport
From: <sip:[field0]@pbx.test>;tag=[pid]p[call_number]
To: <sip:[field0]@pbx.test>
Call-ID: [call_id]
CSeq: [cseq] REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port]>
Expires: ${PHONE_EXPIRES_S}
${withCredentials ? '[authentication]\n' : ''}Max-Forwards: 70
User-Agent: soak phone [field0]
Content-Length: 0

]]></send>
`;
}

/**
 * The answers to one REGISTER: a challenge goes to `onChallenge` (none: the challenge is a
 * failure), a failure or Timer F to the retry.
 */
function answers(onChallenge: string | undefined): string {
  const failure = (s: number, attributes = ''): string => `  <recv response="${s}" optional="true"${attributes} next="retry"><action><log message="FAIL [field0] [clock_tick] ${s}"/></action></recv>\n`;
  // SIPp waits on the group's first recv: the timeout goes there.
  const timerF = ` timeout="${TIMER_F_MS}" ontimeout="timeout"`;
  const challenge = onChallenge === undefined ? failure(401, timerF) : `  <recv response="401" optional="true" auth="true"${timerF} next="${onChallenge}"/>\n`;
  return `${challenge}${FAILURE_STATUSES.map((s) => failure(s)).join('')}  <recv response="200" next="registered"/>
`;
}

/** Ends the phone once SIPp's clock passes `deadlineTick`. */
function untilDeadline(deadlineTick: number, next: string): string {
  return `  <nop><action>
    <assignstr assign_to="tickText" value="[clock_tick]"/>
    <todouble assign_to="tick" variable="tickText"/>
    <test assign_to="over" variable="tick" compare="greater_than" value="${deadlineTick}"/>
  </action></nop>
  <nop next="end" test="over"/>
  <nop next="${next}"/>
`;
}

/**
 * The phone's scenario: register (challenge answered), then refresh with the same Call-ID and a
 * growing CSeq (RFC 3261 §10.2.4) until SIPp's clock passes `deadlineTick`. A refresh answered
 * 401 (Kamailio's nonce grown stale) is answered again once; a second 401 is a failure. After a
 * failure the phone starts over without credentials (it may never have had a challenge).
 */
export function phoneScenario(deadlineTick: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="soak phone">
  <label id="fresh"/>
${register(false)}${answers('auth')}
  <label id="auth"/>
${register(true)}${answers('reauth')}
  <label id="reauth"/>
${register(true)}${answers(undefined)}
  <label id="registered"/>
  <nop><action><log message="OK [field0] [clock_tick]"/></action></nop>
  <pause distribution="uniform" min="${REFRESH_MIN_MS}" max="${REFRESH_MAX_MS}"/>
${untilDeadline(deadlineTick, 'auth')}
  <label id="timeout"/>
  <nop><action><log message="TIMEOUT [field0] [clock_tick]"/></action></nop>
  <label id="retry"/>
  <pause distribution="uniform" min="${RETRY_MIN_MS}" max="${RETRY_MAX_MS}"/>
${untilDeadline(deadlineTick, 'fresh')}
  <label id="end"/>
</scenario>
`;
}

export interface PhoneEvent {
  readonly user: string;
  /** SIPp's clock, ms. */
  readonly tick: number;
  readonly outcome: 'send' | 'ok' | 'fail' | 'timeout';
  readonly status?: number;
}

export function parsePhoneLog(text: string): PhoneEvent[] {
  const events: PhoneEvent[] = [];
  const outcomes = { SEND: 'send', OK: 'ok', FAIL: 'fail', TIMEOUT: 'timeout' } as const;
  for (const m of text.matchAll(/^(SEND|OK|FAIL|TIMEOUT) (\d+) (\d+)(?: (\d+))?$/gm)) {
    const outcome = outcomes[m[1] as keyof typeof outcomes];
    events.push({ user: m[2] ?? '', tick: Number(m[3]), outcome, ...(m[4] === undefined ? {} : { status: Number(m[4]) }) });
  }
  return events;
}

export interface PhoneFigures {
  readonly phones: number;
  /** 200s to REGISTERs, all phones together (first registrations and refreshes). */
  readonly registered: number;
  /** Final answers other than 200 and a first challenge, by status. */
  readonly failed: Readonly<Record<string, number>>;
  /** REGISTERs left without a final answer within Timer F. */
  readonly timeouts: number;
  /** Failures (answers or timeouts) not followed by a 200 within REFRESH_MAX_MS. */
  readonly unrecovered: number;
  /** The longest time any phone went without a 200 (from its first one until `untilTick`), ms. */
  readonly longestGapMs: number;
  /** Phones never registered, or whose binding ran out (a gap longer than PHONE_EXPIRES_S). */
  readonly lost: readonly string[];
  /** REGISTERs sent while the WAN was cut, and the longest any REGISTER waited for its answer (ms). */
  readonly sentInCuts: number;
  readonly slowestAnswerMs: number;
}

/**
 * The phones' outcomes judged over SIPp's clock up to `untilTick` (the end of the soak); `cuts`
 * are the WAN cuts as [down, up) on the same clock.
 */
export function phoneFigures(events: readonly PhoneEvent[], users: readonly string[], untilTick: number, cuts: readonly (readonly [number, number])[] = []): PhoneFigures {
  const failed: Record<string, number> = {};
  let registered = 0;
  let timeouts = 0;
  let unrecovered = 0;
  let longestGapMs = 0;
  let sentInCuts = 0;
  let slowestAnswerMs = 0;
  const lost: string[] = [];
  for (const user of users) {
    const mine = events.filter((e) => e.user === user && e.tick <= untilTick).sort((a, b) => a.tick - b.tick);
    const oks = mine.filter((e) => e.outcome === 'ok').map((e) => e.tick);
    registered += oks.length;
    let sentAt: number | undefined;
    for (const e of mine) {
      if (e.outcome === 'send') {
        sentAt = e.tick;
        if (cuts.some(([down, up]) => e.tick >= down && e.tick < up)) sentInCuts++;
        continue;
      }
      if (sentAt !== undefined) slowestAnswerMs = Math.max(slowestAnswerMs, e.tick - sentAt);
      sentAt = undefined;
      if (e.outcome === 'ok') continue;
      if (e.outcome === 'timeout') timeouts++;
      else failed[String(e.status)] = (failed[String(e.status)] ?? 0) + 1;
      if (!oks.some((t) => t > e.tick && t <= e.tick + REFRESH_MAX_MS)) unrecovered++;
    }
    const first = oks[0];
    if (first === undefined) {
      lost.push(user);
      continue;
    }
    let gap = untilTick - (oks.at(-1) ?? first);
    for (let i = 1; i < oks.length; i++) gap = Math.max(gap, (oks[i] ?? 0) - (oks[i - 1] ?? 0));
    longestGapMs = Math.max(longestGapMs, gap);
    if (gap > PHONE_EXPIRES_S * 1000) lost.push(user);
  }
  return { phones: users.length, registered, failed, timeouts, unrecovered, longestGapMs, lost, sentInCuts, slowestAnswerMs };
}

/** The AoRs in Kamailio's location table with a contact not yet expired (`kamcmd ul.dump` over its control socket). */
export function pbxBindings(ctlSocket: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    execFile('kamcmd', ['-s', `unix:${ctlSocket}`, 'ul.dump'], { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error !== null) return reject(error);
      const live = new Set<string>();
      // One "Info: { AoR: X ... Contacts: { Contact: { ... Expires: N ..." block per AoR.
      for (const block of stdout.split(/\bAoR:\s*/).slice(1)) {
        const aor = /^(\S+)/.exec(block)?.[1];
        if (aor !== undefined && [...block.matchAll(/\bExpires:\s*(\S+)/g)].some((m) => Number(m[1]) > 0)) live.add(aor);
      }
      resolve(live);
    });
  });
}
