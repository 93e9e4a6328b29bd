/**
 * Call parking (feature-model.ts Parking): numbered orbits where a call waits with music until a
 * phone dials the orbit, or, after the timeout, rings the extension that parked it. The lot keeps
 * which call is in which orbit and the timers; the executor (the B2BUA) does the SIP: it holds the
 * parked party, announces the orbit to the parker, and runs the plan of a return or a retrieval.
 * Time comes from an injected Clock (docs/STYLE.md rule 5).
 */
import type { Clock, Timer } from '../core/index.js';
import type { Parking } from './feature-model.js';
import type { RingStep } from './plan.js';
import { reject } from './plan.js';

/** How long a returning call rings its parker before it ends (the ring groups' default). */
export const RETURN_RING_SECONDS = 20;

export type ParkResult =
  | { readonly ok: true; readonly orbit: string }
  | { readonly ok: false; readonly reason: 'orbit-taken' | 'no-free-orbit' | 'not-an-orbit' | 'already-parked' };

export type RetrieveResult =
  | { readonly ok: true; readonly callId: string; readonly parker: string }
  | { readonly ok: false; readonly reason: 'empty-orbit' | 'not-an-orbit' };

/** The parked call `callId` rang out its time in `orbit`: ring `plan` (its parker). */
export interface ParkReturn {
  readonly callId: string;
  readonly orbit: string;
  readonly plan: RingStep;
}

interface Parked {
  readonly callId: string;
  readonly parker: string;
  /** The caller ID shown on the parker's phone when the call comes back. */
  readonly callerId: string;
  readonly since: number;
  readonly timer: Timer;
}

export class ParkingLot {
  readonly parking: Parking;
  readonly #clock: Clock;
  readonly #onReturn: (r: ParkReturn) => void;
  readonly #orbits = new Map<string, Parked>();
  #closed = false;

  constructor(parking: Parking, options: { readonly clock: Clock; readonly onReturn: (r: ParkReturn) => void }) {
    this.parking = parking;
    this.#clock = options.clock;
    this.#onReturn = options.onReturn;
  }

  /** Parks `callId` (parked by extension `parker`) in `orbit`, or in the first free orbit. */
  park(callId: string, parker: string, callerId: string, orbit?: string): ParkResult {
    if (this.#closed) return { ok: false, reason: 'no-free-orbit' };
    if ([...this.#orbits.values()].some((p) => p.callId === callId)) return { ok: false, reason: 'already-parked' };
    let chosen = orbit;
    if (chosen === undefined) chosen = this.parking.orbits.find((o) => !this.#orbits.has(o));
    else if (!this.parking.orbits.includes(chosen)) return { ok: false, reason: 'not-an-orbit' };
    else if (this.#orbits.has(chosen)) return { ok: false, reason: 'orbit-taken' };
    if (chosen === undefined) return { ok: false, reason: 'no-free-orbit' };
    const at = chosen;
    const timer = this.#clock.setTimeout(() => this.#timeout(at), this.parking.timeoutSeconds * 1000);
    this.#orbits.set(at, { callId, parker, callerId, since: this.#clock.now(), timer });
    return { ok: true, orbit: at };
  }

  /** A phone dialled `orbit`: the call parked there, now taken out of the lot. */
  retrieve(orbit: string): RetrieveResult {
    if (!this.parking.orbits.includes(orbit)) return { ok: false, reason: 'not-an-orbit' };
    const parked = this.#orbits.get(orbit);
    if (parked === undefined) return { ok: false, reason: 'empty-orbit' };
    this.#free(orbit, parked);
    return { ok: true, callId: parked.callId, parker: parked.parker };
  }

  /** The parked party hung up: its orbit is free again. */
  hangUp(callId: string): void {
    for (const [orbit, parked] of this.#orbits) if (parked.callId === callId) this.#free(orbit, parked);
  }

  /** Orbit → parked call id, for status pages and BLF. */
  occupied(): ReadonlyMap<string, string> {
    return new Map([...this.#orbits].map(([orbit, p]) => [orbit, p.callId]));
  }

  close(): void {
    this.#closed = true;
    for (const parked of this.#orbits.values()) parked.timer.cancel();
    this.#orbits.clear();
  }

  #timeout(orbit: string): void {
    const parked = this.#orbits.get(orbit);
    if (parked === undefined) return;
    this.#free(orbit, parked);
    const plan: RingStep = { kind: 'ring', extensions: [parked.parker], seconds: RETURN_RING_SECONDS, callerId: parked.callerId, onNoAnswer: reject('no-answer'), onBusy: reject('busy') };
    this.#onReturn({ callId: parked.callId, orbit, plan });
  }

  #free(orbit: string, parked: Parked): void {
    parked.timer.cancel();
    this.#orbits.delete(orbit);
  }
}
