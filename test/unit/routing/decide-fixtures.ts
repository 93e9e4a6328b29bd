/**
 * Small routing models built as TypeScript objects (no YAML), the fixed instants the tables use,
 * and constructors for the plans they expect. Office hours: Monday to Friday 09:00–17:00 with a
 * 12:00–13:00 break, in Europe/Paris (global) and America/New_York (department `ny`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_ROUTING_STATE,
  decide,
  reject,
  type CallRequest,
  type Destination,
  type Extension,
  type Plan,
  type RejectReason,
  type RingGroup,
  type RoutingModel,
  type RoutingState,
  type Schedule,
} from '../../../src/routing/index.js';

const WEEKDAYS = [1, 2, 3, 4, 5];

export const PARIS: Schedule = {
  timeZone: 'Europe/Paris',
  open: [{ days: WEEKDAYS, from: 9 * 60, to: 17 * 60 }],
  breaks: [{ days: WEEKDAYS, from: 12 * 60, to: 13 * 60 }],
  holidays: [
    { name: 'Fête du Travail', from: '05-01', to: '05-01', yearly: true },
    { name: 'Christmas Eve afternoon', from: '2026-12-24', to: '2026-12-24', hours: { from: 12 * 60, to: 24 * 60 }, yearly: false },
  ],
};

export const NEW_YORK: Schedule = {
  timeZone: 'America/New_York',
  open: [{ days: WEEKDAYS, from: 9 * 60, to: 17 * 60 }],
  breaks: [{ days: WEEKDAYS, from: 12 * 60, to: 13 * 60 }],
  holidays: [{ name: 'Thanksgiving', from: '2026-11-26', to: '2026-11-26', yearly: false }],
};

/** Open every day, all day: a specific schedule that only a holiday can close. */
export const ALWAYS_PARIS: Schedule = { timeZone: 'Europe/Paris', open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 24 * 60 }], breaks: [], holidays: [] };

/** Instants (Date.UTC), with what the two zones say of them. */
export const T = {
  /** Mon 2 Mar 2026: Paris 10:00 open, New York 04:00 closed. */
  parisOpen: Date.UTC(2026, 2, 2, 9, 0),
  /** Paris 12:30 break, New York 06:30 closed. */
  parisBreak: Date.UTC(2026, 2, 2, 11, 30),
  /** Paris 16:00 open, New York 10:00 open. */
  bothOpen: Date.UTC(2026, 2, 2, 15, 0),
  /** Paris 18:00 closed, New York 12:00 break. */
  nyBreak: Date.UTC(2026, 2, 2, 17, 0),
  /** Paris 20:00 closed, New York 14:00 open. */
  nyOpen: Date.UTC(2026, 2, 2, 19, 0),
  /** Sat 7 Mar 2026, Paris 10:00: weekend, closed in both. */
  weekend: Date.UTC(2026, 2, 7, 9, 0),
  /** Fri 1 May 2026, Paris 10:00: a yearly holiday in Paris; New York 04:00 closed. */
  parisHoliday: Date.UTC(2026, 4, 1, 8, 0),
  /** Thu 24 Dec 2026, Paris 11:00: open, before the partial-day holiday. */
  christmasEveMorning: Date.UTC(2026, 11, 24, 10, 0),
  /** Thu 24 Dec 2026, Paris 15:00: the partial-day holiday. */
  christmasEveAfternoon: Date.UTC(2026, 11, 24, 14, 0),
  /** Thu 26 Nov 2026: Paris 16:00 open, New York 10:00 Thanksgiving. */
  thanksgiving: Date.UTC(2026, 10, 26, 15, 0),
} as const;

export function ext(number: string, more: Partial<Extension> = {}): Extension {
  return { number, name: `Extension ${number}`, ha1: '0'.repeat(32), realm: 'pbx.example', enabled: true, forwarding: {}, exceptions: [], autoStatus: false, ...more };
}

export function group(number: string, members: readonly string[], more: Partial<RingGroup> = {}): RingGroup {
  return { number, name: `Group ${number}`, strategy: 'ring-all', members, ringSeconds: 20, noAnswer: { kind: 'voicemail', number }, ...more };
}

export function model(more: Partial<RoutingModel> = {}): RoutingModel {
  return {
    version: 1,
    schedule: PARIS,
    departments: { ny: NEW_YORK },
    extensions: [],
    ringGroups: [],
    inbound: [],
    outbound: [],
    trunks: [
      { name: 'itsp-a', kind: 'register', host: 'sip.itsp-a.example', port: 5060, username: 'acme', ha1: '1'.repeat(32), realm: 'itsp-a', reregisterSeconds: 600 },
      { name: 'itsp-b', kind: 'ip', host: '192.0.2.20', port: 5060 },
      { name: 'itsp-c', kind: 'ip', host: '192.0.2.30', port: 5060 },
      { name: 'local-a', kind: 'ip', host: '192.168.1.2', port: 5060, agent: 'branch-a' },
    ],
    emergencyNumbers: ['112', '911', '15'],
    localTrunks: { 'branch-a': 'local-a' },
    blacklist: [],
    ...more,
  };
}

/** Every extension in `numbers` registered, nothing else set. */
export function state(more: Partial<RoutingState> = {}): RoutingState {
  return { ...EMPTY_ROUTING_STATE, ...more };
}

export function internal(caller: string, dialled: string, more: Partial<CallRequest> = {}): CallRequest {
  return { caller, dialled, origin: 'internal', agent: 'branch-a', pbxReachable: true, ...more };
}

export function external(caller: string, did: string, more: Partial<CallRequest> = {}): CallRequest {
  return { caller, dialled: did, origin: 'external', agent: 'branch-a', pbxReachable: true, ...more };
}

// Destinations, short.
export const toExt = (number: string): Destination => ({ kind: 'extension', number });
export const toGroup = (number: string): Destination => ({ kind: 'ring-group', number });
export const toQueue = (number: string): Destination => ({ kind: 'queue', number });
export const toIvr = (number: string): Destination => ({ kind: 'ivr', number });
export const toVm = (number: string): Destination => ({ kind: 'voicemail', number });
export const toExternal = (number: string): Destination => ({ kind: 'external', number });
export const END: Destination = { kind: 'end-call' };

// Plans, short.
export const rej = (reason: RejectReason): Plan => reject(reason);
export const vm = (mailbox: string): Plan => ({ kind: 'voicemail', mailbox });
export const queue = (number: string): Plan => ({ kind: 'queue', number });
export const ivr = (number: string): Plan => ({ kind: 'ivr', number });

export function ring(extensions: readonly string[], seconds: number | null, callerId: string, onNoAnswer: Plan, onBusy: Plan = onNoAnswer, group?: string): Plan {
  const base = { kind: 'ring', extensions, seconds, callerId, onNoAnswer, onBusy } as const;
  return group === undefined ? base : { ...base, group };
}

export function out(trunk: string, number: string, callerId: string, onFailure: Plan, rule?: string, emergency = false): Plan {
  const base = { kind: 'dial-out', trunk, number, callerId, emergency, onFailure } as const;
  return rule === undefined ? base : { ...base, rule };
}

export interface Case {
  readonly name: string;
  readonly model: RoutingModel;
  readonly state?: RoutingState;
  readonly call: CallRequest;
  readonly now?: number;
  readonly expect: Plan;
}

/**
 * One test per row, plus one that the table has at least `min` rows with distinct names, so a
 * table that loses its rows fails instead of passing empty.
 */
export function runCases(title: string, cases: readonly Case[], min: number): void {
  test(`${title}: the table holds at least ${min} distinct cases`, () => {
    assert.ok(cases.length >= min, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });
  for (const c of cases) {
    test(`${title}: ${c.name}`, () => {
      assert.deepEqual(decide(c.call, c.model, c.state ?? state(), c.now ?? T.parisOpen), c.expect);
    });
  }
}
