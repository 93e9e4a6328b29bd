/**
 * The B2BUA's call queues: one QueueEngine (src/routing/queue-engine.ts) per queue number, made
 * when its first caller arrives, and the calls each engine's actions go to. An engine lives as
 * long as the B2BUA, so its agents' counters (round robin, fewest answered, talk time, wrap-up)
 * carry from call to call.
 */
import type { Clock } from '../core/index.js';
import { QueueEngine, type CallQueue, type QueueAction } from '../routing/index.js';

interface Desk {
  readonly engine: QueueEngine;
  readonly handlers: Map<string, (action: QueueAction) => void>;
}

export class QueueDesk {
  readonly #clock: Clock;
  readonly #desks = new Map<string, Desk>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The engine of `queue`, with `handler` receiving the actions for `callId`. */
  join(queue: CallQueue, callId: string, handler: (action: QueueAction) => void): QueueEngine {
    const desk = this.#desk(queue);
    desk.handlers.set(callId, handler);
    return desk.engine;
  }

  /** The engine of `queue`, made now if no caller came yet (`*51` / `*52` before any call). */
  engineFor(queue: CallQueue): QueueEngine {
    return this.#desk(queue).engine;
  }

  #desk(queue: CallQueue): Desk {
    let desk = this.#desks.get(queue.number);
    if (desk === undefined) {
      const handlers = new Map<string, (action: QueueAction) => void>();
      desk = { engine: new QueueEngine(queue, { clock: this.#clock, onAction: (a) => handlers.get(a.callId)?.(a) }), handlers };
      this.#desks.set(queue.number, desk);
    }
    return desk;
  }

  /** `callId` takes no more actions (connected or sent elsewhere). */
  leave(queue: string, callId: string): void {
    this.#desks.get(queue)?.handlers.delete(callId);
  }

  /** A connected queue call ended: talk time, then the agent's wrap-up. */
  ended(queue: string, callId: string): void {
    this.#desks.get(queue)?.engine.hangUp(callId);
  }

  engine(queue: string): QueueEngine | undefined {
    return this.#desks.get(queue)?.engine;
  }

  close(): void {
    for (const desk of this.#desks.values()) desk.engine.close();
  }
}
