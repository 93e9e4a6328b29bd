/**
 * One call queue at work: callers waiting in order of arrival, agents rung by the queue's
 * strategy (queue-order.ts), the answer, the talk, the wrap-up, and the statistics. Pure in the
 * sense of docs/STYLE.md rule 5: time comes from an injected Clock, randomness from an injected
 * source, and the engine does nothing itself: it hands the executor (the B2BUA) QueueActions
 * (hold the caller, ring these agents, stop ringing, connect, send the caller to a destination)
 * and is told what happened (answered, a leg failed, the caller hung up, the call ended).
 *
 * The rules, from the PBX guides (3CX "Call Queues", Asterisk queues.conf for the retry pause):
 *   - A caller beyond `maxCallers` goes to `overflow` (else `noAnswer`) at once; with no agent
 *     signed in, to `noAnswer` at once unless `keepWaitingIfNoAgent`.
 *   - A waiting caller hears the intro prompt then music, and rings one pass of the strategy's
 *     steps, each for `ringSeconds`. An agent rings only when free: signed in, not on a call (a
 *     queue call or any other), not ringing for another caller, not in wrap-up; a step whose agents
 *     are all taken is skipped. After a pass in which someone rang, the next pass starts after
 *     RETRY_MS; after a pass in which nobody could ring, the caller waits until an agent is free.
 *   - Callers are served in order of arrival: when an agent becomes free, the earliest waiting
 *     caller that is not ringing anyone starts its pass first.
 *   - After `maxWaitSeconds` the caller goes to `noAnswer`.
 *   - The first agent to answer takes the call; the others stop ringing. When the call ends the
 *     agent rests `wrapUpSeconds` before the queue rings them again.
 */
import type { Clock, Timer } from '../core/index.js';
import type { CallQueue } from './feature-model.js';
import type { Destination } from './model.js';
import { ringSteps, type AgentCounters } from './queue-order.js';

/** The pause between two passes (Asterisk's `retry`, 5 s by default). */
export const RETRY_MS = 5000;

export type QueueRouteReason = 'overflow' | 'no-agent' | 'max-wait';

export type QueueAction =
  /** Answer the caller and play `intro` (if any) then `music` (absent: the default music) until connected. */
  | { readonly kind: 'hold'; readonly callId: string; readonly intro?: string; readonly music?: string }
  | { readonly kind: 'ring'; readonly callId: string; readonly agents: readonly string[]; readonly seconds: number }
  | { readonly kind: 'stop-ringing'; readonly callId: string; readonly agents: readonly string[] }
  | { readonly kind: 'connect'; readonly callId: string; readonly agent: string }
  | { readonly kind: 'route'; readonly callId: string; readonly destination: Destination; readonly reason: QueueRouteReason };

export type AgentState = 'signed-out' | 'idle' | 'ringing' | 'on-call' | 'wrap-up' | 'busy';

export interface QueueStats {
  /** Callers in the queue now (ringing or not). */
  readonly waiting: number;
  readonly answered: number;
  /** Callers who hung up while waiting. */
  readonly abandoned: number;
  readonly overflowed: number;
  /** Callers sent to `noAnswer` after `maxWaitSeconds`. */
  readonly timedOut: number;
  /** Callers sent to `noAnswer` because no agent was signed in. */
  readonly noAgent: number;
  /** Over answered calls: arrival to answer. 0 when none. */
  readonly averageWaitMs: number;
  /** Over ended calls: answer to end. 0 when none. */
  readonly averageTalkMs: number;
  readonly agents: Readonly<Record<string, { readonly state: AgentState; readonly answered: number; readonly talkMs: number }>>;
}

export interface QueueEngineOptions {
  readonly clock: Clock;
  readonly onAction: (action: QueueAction) => void;
  /** [0, 1) like Math.random (the default); tests pass a fixed sequence. */
  readonly random?: () => number;
  /** The agents signed in at the start; default: all of them. */
  readonly signedIn?: Iterable<string>;
}

type Activity =
  | { readonly kind: 'idle' }
  | { readonly kind: 'ringing'; readonly callId: string }
  | { readonly kind: 'on-call'; readonly callId: string; readonly since: number }
  | { readonly kind: 'wrap-up'; readonly timer: Timer };

interface Caller {
  readonly callId: string;
  readonly arrivedAt: number;
  phase: 'waiting' | 'ringing' | 'pause';
  steps: readonly (readonly string[])[];
  step: number;
  rangThisPass: boolean;
  readonly ringing: Set<string>;
  stepTimer: Timer | undefined;
  readonly maxWait: Timer;
}

const IDLE: Activity = { kind: 'idle' };

export class QueueEngine {
  readonly queue: CallQueue;
  readonly #clock: Clock;
  readonly #emit: (action: QueueAction) => void;
  readonly #random: () => number;
  readonly #signedIn: Set<string>;
  readonly #busy = new Set<string>();
  readonly #activity = new Map<string, Activity>();
  readonly #counters = new Map<string, AgentCounters>();
  /** In order of arrival (Map keeps insertion order). */
  readonly #callers = new Map<string, Caller>();
  #lastAnswered: string | undefined;
  #totals = { answered: 0, abandoned: 0, overflowed: 0, timedOut: 0, noAgent: 0, waitMs: 0, talkMs: 0, talks: 0 };
  #closed = false;

  constructor(queue: CallQueue, options: QueueEngineOptions) {
    this.queue = queue;
    this.#clock = options.clock;
    this.#emit = options.onAction;
    this.#random = options.random ?? Math.random;
    const initial = options.signedIn === undefined ? queue.agents : [...options.signedIn];
    this.#signedIn = new Set(initial.filter((a) => queue.agents.includes(a)));
    const now = this.#clock.now();
    for (const agent of queue.agents) {
      this.#activity.set(agent, IDLE);
      this.#counters.set(agent, { answered: 0, talkMs: 0, idleSince: now });
    }
  }

  /** A caller enters the queue. */
  arrive(callId: string): void {
    if (this.#closed || this.#callers.has(callId)) return;
    const q = this.queue;
    if (q.maxCallers !== undefined && this.#callers.size >= q.maxCallers) {
      this.#totals.overflowed += 1;
      this.#emit({ kind: 'route', callId, destination: q.overflow ?? q.noAnswer, reason: 'overflow' });
      return;
    }
    if (this.#signedIn.size === 0 && !q.keepWaitingIfNoAgent) {
      this.#totals.noAgent += 1;
      this.#emit({ kind: 'route', callId, destination: q.noAnswer, reason: 'no-agent' });
      return;
    }
    const maxWait = this.#clock.setTimeout(() => this.#onMaxWait(callId), q.maxWaitSeconds * 1000);
    this.#callers.set(callId, { callId, arrivedAt: this.#clock.now(), phase: 'waiting', steps: [], step: 0, rangThisPass: false, ringing: new Set(), stepTimer: undefined, maxWait });
    this.#emit({ kind: 'hold', callId, ...(q.introPrompt === undefined ? {} : { intro: q.introPrompt }), ...(q.music === undefined ? {} : { music: q.music }) });
    this.#dispatch();
  }

  /** The caller hung up: abandoned while waiting, or the end of a connected call. */
  hangUp(callId: string): void {
    const caller = this.#callers.get(callId);
    if (caller === undefined) {
      this.callEnded(callId);
      return;
    }
    this.#totals.abandoned += 1;
    this.#leave(caller);
    this.#dispatch();
  }

  /** `agent` answered `callId`'s ring. */
  answered(callId: string, agent: string): void {
    const caller = this.#callers.get(callId);
    if (caller === undefined || !caller.ringing.has(agent)) return;
    caller.ringing.delete(agent);
    const now = this.#clock.now();
    this.#totals.answered += 1;
    this.#totals.waitMs += now - caller.arrivedAt;
    this.#lastAnswered = agent;
    const c = this.#counter(agent);
    this.#counters.set(agent, { ...c, answered: c.answered + 1 });
    this.#leave(caller);
    this.#activity.set(agent, { kind: 'on-call', callId, since: now });
    this.#emit({ kind: 'connect', callId, agent });
    this.#dispatch();
  }

  /** `agent`'s leg for `callId` ended without an answer (busy, declined, unreachable). */
  legFailed(callId: string, agent: string): void {
    const caller = this.#callers.get(callId);
    if (caller === undefined || !caller.ringing.delete(agent)) return;
    this.#activity.set(agent, IDLE);
    if (caller.ringing.size === 0) {
      caller.stepTimer?.cancel();
      this.#nextStep(caller);
    }
    this.#dispatch();
  }

  /** A connected queue call ended: the agent's talk time counts, then wrap-up. */
  callEnded(callId: string): void {
    for (const [agent, activity] of this.#activity) {
      if (activity.kind !== 'on-call' || activity.callId !== callId) continue;
      const now = this.#clock.now();
      const c = this.#counter(agent);
      this.#counters.set(agent, { ...c, talkMs: c.talkMs + (now - activity.since), idleSince: now });
      this.#totals.talkMs += now - activity.since;
      this.#totals.talks += 1;
      if (this.queue.wrapUpSeconds > 0) {
        const timer = this.#clock.setTimeout(() => {
          this.#activity.set(agent, IDLE);
          this.#dispatch();
        }, this.queue.wrapUpSeconds * 1000);
        this.#activity.set(agent, { kind: 'wrap-up', timer });
      } else {
        this.#activity.set(agent, IDLE);
        this.#dispatch();
      }
      return;
    }
  }

  /** `*51`: returns false for an extension that is not an agent of this queue. */
  signIn(agent: string): boolean {
    if (!this.queue.agents.includes(agent)) return false;
    if (!this.#signedIn.has(agent)) {
      this.#signedIn.add(agent);
      this.#counters.set(agent, { ...this.#counter(agent), idleSince: this.#clock.now() });
    }
    this.#dispatch();
    return true;
  }

  /** `*52`: the agent stops ringing now; a call in progress goes on. */
  signOut(agent: string): boolean {
    if (!this.queue.agents.includes(agent)) return false;
    this.#signedIn.delete(agent);
    const activity = this.#activity.get(agent);
    if (activity?.kind === 'ringing') this.#stopRinging(activity.callId, agent);
    if (this.#signedIn.size === 0 && !this.queue.keepWaitingIfNoAgent) {
      for (const caller of [...this.#callers.values()]) {
        this.#totals.noAgent += 1;
        this.#leave(caller);
        this.#emit({ kind: 'route', callId: caller.callId, destination: this.queue.noAnswer, reason: 'no-agent' });
      }
    }
    this.#dispatch();
    return true;
  }

  /** The agent is on a call outside this queue (another queue, a direct call): skipped meanwhile. */
  setBusy(agent: string, busy: boolean): void {
    if (busy) this.#busy.add(agent);
    else this.#busy.delete(agent);
    const activity = this.#activity.get(agent);
    if (busy && activity?.kind === 'ringing') this.#stopRinging(activity.callId, agent);
    if (!busy) this.#dispatch();
  }

  isSignedIn(agent: string): boolean {
    return this.#signedIn.has(agent);
  }

  agentState(agent: string): AgentState {
    if (!this.queue.agents.includes(agent)) return 'signed-out';
    const activity = this.#activity.get(agent) ?? IDLE;
    if (activity.kind === 'on-call') return 'on-call';
    if (activity.kind === 'ringing') return 'ringing';
    if (!this.#signedIn.has(agent)) return 'signed-out';
    if (activity.kind === 'wrap-up') return 'wrap-up';
    return this.#busy.has(agent) ? 'busy' : 'idle';
  }

  stats(): QueueStats {
    const t = this.#totals;
    const agents = Object.fromEntries(this.queue.agents.map((a) => [a, { state: this.agentState(a), answered: this.#counter(a).answered, talkMs: this.#counter(a).talkMs }]));
    return {
      waiting: this.#callers.size, answered: t.answered, abandoned: t.abandoned, overflowed: t.overflowed, timedOut: t.timedOut, noAgent: t.noAgent,
      averageWaitMs: t.answered === 0 ? 0 : t.waitMs / t.answered, averageTalkMs: t.talks === 0 ? 0 : t.talkMs / t.talks, agents,
    };
  }

  /** Cancels every timer; the engine then ignores all input. Idempotent (docs/STYLE.md rule 8). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const caller of this.#callers.values()) {
      caller.maxWait.cancel();
      caller.stepTimer?.cancel();
    }
    this.#callers.clear();
    for (const activity of this.#activity.values()) if (activity.kind === 'wrap-up') activity.timer.cancel();
  }

  #counter(agent: string): AgentCounters {
    return this.#counters.get(agent) ?? { answered: 0, talkMs: 0, idleSince: 0 };
  }

  #isFree(agent: string): boolean {
    return this.#signedIn.has(agent) && !this.#busy.has(agent) && this.#activity.get(agent)?.kind === 'idle';
  }

  /** Waiting callers (in order of arrival) start a pass when someone may be free for them. */
  #dispatch(): void {
    if (this.#closed) return;
    for (const caller of this.#callers.values()) {
      if (caller.phase !== 'waiting') continue;
      if (!this.queue.agents.some((a) => this.#isFree(a))) return;
      this.#startPass(caller);
    }
  }

  #startPass(caller: Caller): void {
    caller.steps = ringSteps(this.queue, { lastAnswered: this.#lastAnswered, counters: (a) => this.#counter(a), random: this.#random });
    caller.step = -1;
    caller.rangThisPass = false;
    this.#nextStep(caller);
  }

  /** The caller's next step with a free agent; at the end of the pass, a pause or a wait. */
  #nextStep(caller: Caller): void {
    caller.stepTimer = undefined;
    for (;;) {
      caller.step += 1;
      const step = caller.steps[caller.step];
      if (step === undefined) break;
      const agents = step.filter((a) => this.#isFree(a));
      if (agents.length === 0) continue;
      for (const agent of agents) {
        caller.ringing.add(agent);
        this.#activity.set(agent, { kind: 'ringing', callId: caller.callId });
      }
      caller.phase = 'ringing';
      caller.rangThisPass = true;
      caller.stepTimer = this.#clock.setTimeout(() => this.#onRingTimeout(caller), this.queue.ringSeconds * 1000);
      this.#emit({ kind: 'ring', callId: caller.callId, agents, seconds: this.queue.ringSeconds });
      return;
    }
    if (caller.rangThisPass) {
      caller.phase = 'pause';
      caller.stepTimer = this.#clock.setTimeout(() => {
        caller.phase = 'waiting';
        this.#startPass(caller);
      }, RETRY_MS);
    } else {
      caller.phase = 'waiting';
    }
  }

  #onRingTimeout(caller: Caller): void {
    const agents = [...caller.ringing];
    this.#release(caller);
    if (agents.length > 0) this.#emit({ kind: 'stop-ringing', callId: caller.callId, agents });
    this.#nextStep(caller);
    this.#dispatch();
  }

  #onMaxWait(callId: string): void {
    const caller = this.#callers.get(callId);
    if (caller === undefined) return;
    this.#totals.timedOut += 1;
    this.#leave(caller);
    this.#emit({ kind: 'route', callId, destination: this.queue.noAnswer, reason: 'max-wait' });
    this.#dispatch();
  }

  /** One agent stops ringing for `callId` (signed out, busy elsewhere). */
  #stopRinging(callId: string, agent: string): void {
    const caller = this.#callers.get(callId);
    this.#activity.set(agent, IDLE);
    if (caller === undefined || !caller.ringing.delete(agent)) return;
    this.#emit({ kind: 'stop-ringing', callId, agents: [agent] });
    if (caller.ringing.size === 0) {
      caller.stepTimer?.cancel();
      this.#nextStep(caller);
    }
  }

  /** The agents ringing for `caller` are free again. */
  #release(caller: Caller): void {
    for (const agent of caller.ringing) this.#activity.set(agent, IDLE);
    caller.ringing.clear();
  }

  /** The caller leaves the queue (answered, abandoned, routed away): timers and rings stop. */
  #leave(caller: Caller): void {
    caller.maxWait.cancel();
    caller.stepTimer?.cancel();
    const agents = [...caller.ringing];
    this.#release(caller);
    this.#callers.delete(caller.callId);
    if (agents.length > 0) this.#emit({ kind: 'stop-ringing', callId: caller.callId, agents });
  }
}
