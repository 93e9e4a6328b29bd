/**
 * An in-memory carriage pair for tunnel session tests: bytes are delivered on a microtask, each
 * direction can be held (congestion: writes report backpressure past a high-water mark) and the
 * whole pipe can be cut (every byte silently lost, as on a dead WAN path).
 */
import type { TunnelCarriage, TunnelPeer } from '../../src/net/index.js';

export type Direction = 'a->b' | 'b->a';

class MemoryEnd implements TunnelCarriage {
  readonly peer: TunnelPeer;
  readonly #pipe: MemoryPipe;
  readonly #dir: Direction;
  other: MemoryEnd | undefined;
  #queue: Buffer[] = [];
  #queued = 0;
  #scheduled = false;
  #closed = false;
  #data: (chunk: Buffer) => void = () => {};
  #drain: () => void = () => {};
  #close: (error: Error | undefined) => void = () => {};
  written = 0;

  constructor(pipe: MemoryPipe, dir: Direction, subject: string) {
    this.#pipe = pipe;
    this.#dir = dir;
    this.peer = { carriage: 'memory', remoteAddress: '127.0.0.1', remotePort: dir === 'a->b' ? 5090 : 40000, subject, fingerprint256: `FP:${subject}`, serialNumber: '01' };
  }

  write(data: Buffer): boolean {
    if (this.#closed) return false;
    this.written += data.length;
    if (this.#pipe.isCut) return true;
    this.#queue.push(data);
    this.#queued += data.length;
    this.pump();
    return this.#queued < this.#pipe.highWater;
  }

  pump(): void {
    if (this.#scheduled || this.#pipe.held(this.#dir)) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#pipe.held(this.#dir) || this.#closed) return;
      const queue = this.#queue;
      const wasFull = this.#queued >= this.#pipe.highWater;
      this.#queue = [];
      this.#queued = 0;
      for (const chunk of queue) if (!this.#pipe.isCut) this.other?.deliver(chunk);
      if (wasFull) this.#drain();
    });
  }

  deliver(chunk: Buffer): void {
    if (!this.#closed) this.#data(chunk);
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#data = handler;
  }

  onDrain(handler: () => void): void {
    this.#drain = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#close = handler;
  }

  close(): void {
    if (this.#closed) return;
    // Deliver what was written, then end both sides (a FIN after the data).
    queueMicrotask(() => {
      for (const chunk of this.#queue) if (!this.#pipe.isCut) this.other?.deliver(chunk);
      this.#queue = [];
      this.ended(undefined);
      if (!this.#pipe.isCut) this.other?.ended(undefined);
    });
    this.#closedPending = true;
  }

  #closedPending = false;

  abort(): void {
    this.ended(undefined);
    // Nothing crosses a dead path, not even the reset.
    if (!this.#pipe.isCut) this.other?.ended(new Error('connection reset'));
  }

  ended(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#close(error);
  }

  get closing(): boolean {
    return this.#closedPending || this.#closed;
  }
}

export class MemoryPipe {
  readonly a: MemoryEnd;
  readonly b: MemoryEnd;
  highWater: number;
  isCut = false;
  readonly #held = new Set<Direction>();

  /** `a` is the agent end (its peer is the hub), `b` the hub end (its peer is the agent). */
  constructor(options: { highWater?: number; agentSubject?: string; hubSubject?: string } = {}) {
    this.highWater = options.highWater ?? 1 << 20;
    this.a = new MemoryEnd(this, 'a->b', options.hubSubject ?? 'hub');
    this.b = new MemoryEnd(this, 'b->a', options.agentSubject ?? 'agent-1');
    this.a.other = this.b;
    this.b.other = this.a;
  }

  held(dir: Direction): boolean {
    return this.#held.has(dir);
  }

  /** Stops delivery in one direction; writes pile up and report backpressure. */
  hold(dir: Direction): void {
    this.#held.add(dir);
  }

  release(dir: Direction): void {
    this.#held.delete(dir);
    (dir === 'a->b' ? this.a : this.b).pump();
  }

  /** Every byte from now on is lost, both ways, without any close: a dead path. */
  cut(): void {
    this.isCut = true;
  }
}

/** Lets queued microtasks and immediates run (deliveries, flushes). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
