/**
 * One caller in a queue, on the B2BUA side: the queue engine's actions become B-legs. `ring`
 * forks INVITEs to every live contact of each agent named, `stop-ringing` CANCELs them, an agent's
 * 2xx is reported to the engine (which connects the first and stops the others), an agent whose
 * every leg failed is reported as failed (the engine moves on), and `route` hands back the
 * destination (no answer, overflow, no agent). On `hold` the call answers the caller and plays the
 * intro and the music (agent-media.ts queueHold), or lets it hear ringing; the actions that follow
 * wait for that answer, so every agent is offered the format the caller was answered with.
 */
import type { Destination, QueueAction, QueueEngine, CallQueue } from '../routing/index.js';
import type { SipResponse } from '../sip/index.js';
import type { Dialog } from './dialog.js';
import { COMPLETED_ELSEWHERE, type ForkTarget } from './fork.js';
import type { QueueDesk } from './queue-desk.js';

export type QueueRingResult =
  | { readonly kind: 'answered'; readonly target: ForkTarget; readonly response: SipResponse; readonly dialog: Dialog }
  | { readonly kind: 'route'; readonly destination: Destination }
  | { readonly kind: 'aborted' };

export interface QueueRingOptions {
  readonly desk: QueueDesk;
  readonly queue: CallQueue;
  readonly callId: string;
  /** The B-legs (not started) to every live contact of `agent`. */
  readonly legsFor: (agent: string) => ForkTarget[];
  /** The caller is in the queue: answer it with the intro and music, or tell it that it rings. */
  readonly onHold: (hold: Extract<QueueAction, { kind: 'hold' }>) => Promise<void>;
}

export class QueueRing {
  readonly #o: QueueRingOptions;
  readonly #legs = new Map<string, ForkTarget[]>();
  readonly #answers = new Map<string, Extract<QueueRingResult, { kind: 'answered' }>>();
  #engine: QueueEngine | undefined;
  /** The caller's answer on `hold`, under way: later actions run after it, in order. */
  #held: Promise<void> | undefined;
  #resolve: ((result: QueueRingResult) => void) | undefined;
  #settled = false;

  constructor(options: QueueRingOptions) {
    this.#o = options;
  }

  run(): Promise<QueueRingResult> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#engine = this.#o.desk.join(this.#o.queue, this.#o.callId, (a) => this.#take(a));
      this.#engine.arrive(this.#o.callId);
    });
  }

  /** The caller hung up or the B2BUA stops: the engine counts it abandoned, the legs are cancelled. */
  abort(): void {
    if (this.#settled) return;
    this.#engine?.hangUp(this.#o.callId);
    this.#finish({ kind: 'aborted' });
  }

  #take(action: QueueAction): void {
    if (action.kind === 'hold') {
      this.#held = this.#o.onHold(action).catch(() => {});
      return;
    }
    const held = this.#held;
    if (held === undefined) this.#on(action);
    else void held.then(() => this.#on(action));
  }

  #on(action: QueueAction): void {
    // Actions queued behind the caller's answer may come after the end.
    if (this.#settled) return;
    switch (action.kind) {
      case 'hold':
        return;
      case 'ring':
        for (const agent of action.agents) this.#ring(agent);
        return;
      case 'stop-ringing':
        for (const agent of action.agents) {
          for (const t of this.#legs.get(agent) ?? []) t.leg.cancel();
          this.#legs.delete(agent);
        }
        return;
      case 'connect': {
        const answer = this.#answers.get(action.agent);
        if (answer !== undefined) this.#finish(answer);
        return;
      }
      case 'route':
        this.#finish({ kind: 'route', destination: action.destination });
        return;
    }
  }

  #ring(agent: string): void {
    const targets = this.#o.legsFor(agent);
    const engine = this.#engine;
    if (engine === undefined) return;
    if (targets.length === 0) {
      // No live contact: a failed leg, reported after the engine's own step is done.
      queueMicrotask(() => engine.legFailed(this.#o.callId, agent));
      return;
    }
    this.#legs.set(agent, targets);
    let failed = 0;
    for (const target of targets) {
      void target.leg.start().then((outcome) => {
        if (outcome.kind === 'answered') {
          if (this.#settled || this.#legs.get(agent) !== targets) {
            // §13.2.2.4: a 2xx for a ring already given up: ACK, then BYE.
            target.leg.ack();
            void outcome.dialog.request('BYE').catch(() => {});
            return;
          }
          this.#answers.set(agent, { kind: 'answered', target, response: outcome.response, dialog: outcome.dialog });
          for (const other of targets) if (other !== target) other.leg.cancel(COMPLETED_ELSEWHERE);
          this.#legs.delete(agent);
          engine.answered(this.#o.callId, agent);
          return;
        }
        failed += 1;
        if (failed === targets.length && this.#legs.get(agent) === targets) {
          this.#legs.delete(agent);
          engine.legFailed(this.#o.callId, agent);
        }
      });
    }
  }

  #finish(result: QueueRingResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#o.desk.leave(this.#o.queue.number, this.#o.callId);
    for (const targets of this.#legs.values()) for (const t of targets) t.leg.cancel(COMPLETED_ELSEWHERE);
    this.#legs.clear();
    this.#resolve?.(result);
  }
}
