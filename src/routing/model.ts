/**
 * The routing model: what a PBX knows about where calls go (extensions, statuses and forwarding,
 * ring groups, inbound and outbound rules, trunks, emergency numbers, office hours, blacklist), as
 * plain typed data. The hub keeps it (hub.routing, YAML) and replicates the part a branch needs to
 * its agent; `decide()` reads it. Validation (validate.ts) turns YAML into this shape and names the
 * field of any error. Times of day are minutes after midnight in the schedule's time zone; dates
 * are ISO `YYYY-MM-DD` (or `MM-DD` for a yearly holiday).
 */
import type { CallQueue, FeatureCodes, Ivr, PagingGroup, Parking } from './feature-model.js';

/** Extension statuses (PortSIP/3CX): Available and Custom 1 ring the phone, the others do not. */
export type ExtensionStatus = 'available' | 'away' | 'dnd' | 'custom1' | 'custom2';
export const EXTENSION_STATUSES: readonly ExtensionStatus[] = ['available', 'away', 'dnd', 'custom1', 'custom2'];
export const RINGING_STATUSES: ReadonlySet<ExtensionStatus> = new Set(['available', 'custom1']);

/** Where a call goes. `number` is dialled as given (through the outbound rules for external ones). */
export type Destination =
  | { readonly kind: 'extension'; readonly number: string }
  | { readonly kind: 'ring-group'; readonly number: string }
  | { readonly kind: 'queue'; readonly number: string }
  | { readonly kind: 'ivr'; readonly number: string }
  | { readonly kind: 'voicemail'; readonly number: string }
  | { readonly kind: 'external'; readonly number: string }
  | { readonly kind: 'end-call' };

/** A weekly time range: days 0 (Sunday) to 6, [from, to) in minutes after midnight. */
export interface WeeklyRange {
  readonly days: readonly number[];
  readonly from: number;
  readonly to: number;
}

/** A holiday: one day, a range of days, or part of a day; `yearly` repeats it every year (dates as MM-DD). */
export interface Holiday {
  readonly name: string;
  /** `YYYY-MM-DD`, or `MM-DD` when yearly. */
  readonly from: string;
  /** Inclusive; equal to `from` for a single day. */
  readonly to: string;
  /** Part of a day only: [fromMinute, toMinute) on each day of the holiday. */
  readonly hours?: { readonly from: number; readonly to: number };
  readonly yearly: boolean;
}

/** Office hours: open ranges, breaks inside them, holidays, in an IANA time zone. */
export interface Schedule {
  readonly timeZone: string;
  readonly open: readonly WeeklyRange[];
  readonly breaks: readonly WeeklyRange[];
  readonly holidays: readonly Holiday[];
}

/** What the clock says about a schedule at an instant; a holiday wins over a break, a break over open. */
export type ScheduleState = 'open' | 'closed' | 'break' | 'holiday';

/** Destinations by schedule state; `closed`, `break` and `holiday` fall back to `closed` when absent. */
export interface TimedDestinations {
  readonly open: Destination;
  readonly closed: Destination;
  readonly break?: Destination;
  readonly holiday?: Destination;
}

/** What an extension does with a call it does not take (per status, per caller kind). */
export interface Forwarding {
  /** For ringing statuses: after this many seconds without an answer; non-ringing statuses forward at once. */
  readonly noAnswerSeconds: number;
  readonly internal: Destination;
  readonly external: Destination;
}

/** An exception to forwarding, evaluated top to bottom before the status rules (at most 15). */
export interface ForwardingException {
  /** Caller number with `*` as any run of characters. */
  readonly caller: string;
  /** Only inside these ranges (in the extension's schedule time zone); absent: always. */
  readonly when?: readonly WeeklyRange[];
  readonly destination: Destination;
}

export interface Extension {
  readonly number: string;
  readonly name: string;
  /** MD5(username ":" realm ":" password), hex: never a plaintext password. */
  readonly ha1: string;
  readonly realm: string;
  readonly enabled: boolean;
  readonly outboundCallerId?: string;
  readonly emergencyCallerId?: string;
  readonly department?: string;
  /** The agent (SBC name) the extension's phone lives behind; absent: the hub's own side. */
  readonly homeAgent?: string;
  /** Forwarding by status; an absent status keeps ringing (ringing statuses) or ends the call. */
  readonly forwarding: Readonly<Partial<Record<ExtensionStatus, Forwarding>>>;
  readonly exceptions: readonly ForwardingException[];
  /** Its own office hours (auto status switching); absent: the department's, then the global one. */
  readonly schedule?: Schedule;
  /** Switch to `away` outside office hours and back to `available` in them (not from custom1/custom2). */
  readonly autoStatus: boolean;
}

export type RingStrategy = 'ring-all' | 'prioritized-hunt' | 'cyclic-hunt' | 'least-worked-hunt';

export interface RingGroup {
  readonly number: string;
  readonly name: string;
  readonly strategy: RingStrategy;
  /** In order: the priority order of the hunts. */
  readonly members: readonly string[];
  /** Seconds each member (hunts) or all of them (ring-all) ring; default 20. */
  readonly ringSeconds: number;
  readonly noAnswer: Destination;
  readonly schedule?: Schedule;
  /** Out of office, break and holiday destinations; absent: the group rings regardless. */
  readonly outOfHours?: Destination;
  readonly onBreak?: Destination;
  readonly onHoliday?: Destination;
}

export interface InboundRule {
  readonly name: string;
  /** The dialled number (DID) in full, or `*` for any. */
  readonly did: string;
  /** Caller masks: `*` matches one digit; `A-B` a numeric range of equal length; empty: any caller. */
  readonly callerMasks: readonly string[];
  readonly destinations: TimedDestinations;
  readonly schedule?: Schedule;
}

export interface OutboundRoute {
  readonly trunk: string;
  /** Digits removed from the front of the dialled number, then `prepend` put before it. */
  readonly strip: number;
  readonly prepend: string;
}

export interface OutboundRule {
  readonly name: string;
  /** Dialled-number prefixes (the YAML `;`-separated list); empty: any. */
  readonly prefixes: readonly string[];
  /** Allowed dialled-number lengths; empty: any. */
  readonly lengths: readonly number[];
  /** Calling extensions: numbers and ranges `100-120`; empty: any. */
  readonly extensions: readonly string[];
  /** Calling extensions by department (extension groups); empty: any. */
  readonly departments: readonly string[];
  /** Tried in order on failure or busy, at most three; `block` ends the call with 403. */
  readonly routes: readonly OutboundRoute[] | 'block';
  readonly schedule?: Schedule;
}

export type Trunk =
  | { readonly name: string; readonly kind: 'register'; readonly host: string; readonly port: number; readonly username: string; readonly ha1: string; readonly realm: string; readonly reregisterSeconds: number; readonly agent?: string }
  | { readonly name: string; readonly kind: 'ip'; readonly host: string; readonly port: number; readonly agent?: string };

export interface RoutingModel {
  /** Increases with every change the hub makes; agents keep the highest they saw. */
  readonly version: number;
  /** The global office hours. */
  readonly schedule: Schedule;
  /** Per department: its time zone and office hours. */
  readonly departments: Readonly<Record<string, Schedule>>;
  readonly extensions: readonly Extension[];
  readonly ringGroups: readonly RingGroup[];
  readonly inbound: readonly InboundRule[];
  readonly outbound: readonly OutboundRule[];
  readonly trunks: readonly Trunk[];
  /** Always dialable, whatever blocks; through the branch's local trunk when the PBX is gone. */
  readonly emergencyNumbers: readonly string[];
  /** The trunk each branch (SBC name) uses for emergency and survival calls. */
  readonly localTrunks: Readonly<Record<string, string>>;
  /** Caller numbers rejected (`*` as any run of characters). */
  readonly blacklist: readonly string[];
  /** Dial codes that set the caller's status where they differ from `*30`…`*34` (status.ts). */
  readonly dialCodes?: Readonly<Partial<Record<ExtensionStatus, string>>>;
  /** Call queues (feature-model.ts); absent: none. `queue:N` destinations name one of them. */
  readonly queues?: readonly CallQueue[];
  /** IVR menus; absent: none. `ivr:N` destinations name one of them. */
  readonly ivrs?: readonly Ivr[];
  /** Parking orbits; absent: no parking. */
  readonly parking?: Parking;
  /** Paging and intercom numbers (feature-model.ts); absent: none. */
  readonly paging?: readonly PagingGroup[];
  /** Feature codes where they differ from the defaults (feature-codes.ts). */
  readonly featureCodes?: Readonly<Partial<FeatureCodes>>;
}
