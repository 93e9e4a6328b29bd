/**
 * The B2BUA's parking lot (routing/parking-lot.ts decides orbits and timeouts) and the parked
 * parties by call: a retrieval gets the party parked in an orbit, the lot's timeout tells that
 * party to ring its parker. One lot for the model's `parking`; when the model's orbits or timeout
 * change, the lot is replaced once it is empty (a parked call keeps the orbit it was given).
 */
import type { Clock } from '../core/index.js';
import { ParkingLot, type ParkResult, type RingStep, type RoutingModel } from '../routing/index.js';
import type { HandOver } from './hand-over.js';

/** A parked call, as its park runner shows it to the desk. */
export interface ParkedParty {
  /** The lot's time is up: ring `plan` (the parker) and connect the parked party to whoever answers. */
  returnToParker(plan: RingStep): void;
  /** A phone dialled the orbit: the parked party, to be re-INVITEd by the retrieving call (undefined: no longer parked). */
  handOver(): HandOver | undefined;
}

export type DeskRetrieval =
  | { readonly ok: true; readonly party: ParkedParty }
  | { readonly ok: false; readonly reason: 'empty-orbit' | 'not-an-orbit' };

export class ParkingDesk {
  readonly #clock: Clock;
  #lot: ParkingLot | undefined;
  #config = '';
  readonly #parked = new Map<string, ParkedParty>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Parks the call `callId` (its party `party`) for extension `parker`, in `orbit` or the first free one. */
  park(model: RoutingModel, callId: string, party: ParkedParty, parker: string, callerId: string, orbit?: string): ParkResult {
    const lot = this.#lotFor(model);
    if (lot === undefined) return { ok: false, reason: 'not-an-orbit' };
    const result = lot.park(callId, parker, callerId, orbit);
    if (result.ok) this.#parked.set(callId, party);
    return result;
  }

  /** A phone dialled `orbit`: the party parked there, taken out of the lot. */
  retrieve(model: RoutingModel, orbit: string): DeskRetrieval {
    const lot = this.#lotFor(model);
    if (lot === undefined) return { ok: false, reason: 'not-an-orbit' };
    const taken = lot.retrieve(orbit);
    if (!taken.ok) return taken;
    const party = this.#parked.get(taken.callId);
    this.#parked.delete(taken.callId);
    return party === undefined ? { ok: false, reason: 'empty-orbit' } : { ok: true, party };
  }

  /** The parked call ended (its party hung up, the agent stops): its orbit is free. */
  left(callId: string): void {
    this.#parked.delete(callId);
    this.#lot?.hangUp(callId);
  }

  /** Orbit → parked call id. */
  occupied(): ReadonlyMap<string, string> {
    return this.#lot?.occupied() ?? new Map();
  }

  close(): void {
    this.#closed = true;
    this.#lot?.close();
    this.#parked.clear();
  }

  #lotFor(model: RoutingModel): ParkingLot | undefined {
    if (this.#closed) return undefined;
    const config = JSON.stringify(model.parking ?? null);
    if (config !== this.#config && (this.#lot === undefined || this.#lot.occupied().size === 0)) {
      this.#lot?.close();
      this.#config = config;
      this.#lot = model.parking === undefined ? undefined : new ParkingLot(model.parking, {
        clock: this.#clock,
        onReturn: (r) => {
          const party = this.#parked.get(r.callId);
          this.#parked.delete(r.callId);
          party?.returnToParker(r.plan);
        },
      });
    }
    return this.#lot;
  }
}
