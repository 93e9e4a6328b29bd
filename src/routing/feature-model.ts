/**
 * The call-centre features of the routing model, the objects `queue:N` and `ivr:N` destinations
 * name: call queues (agents rung by a strategy while callers wait with music), IVR menus (a prompt,
 * keys to destinations, dial-by-extension), call parking orbits and the feature dial codes. Plain
 * typed data like the rest of model.ts; validation is in validate-features.ts, the engines that
 * run them in src/routing/queue-*.ts, ivr-*.ts and park-*.ts.
 *
 * Strategies and options follow the PBX guides the model follows (3CX "Call Queues", PortSIP
 * "Call Queue"); prompts and music are WAV file names the media engine resolves.
 */
import type { Destination, Schedule } from './model.js';

/**
 * Who rings next, from the 3CX guide's list:
 *
 *   ring-all                     every free agent at once;
 *   prioritized-hunt             one agent at a time, in the agents' order;
 *   random-start-hunt            one at a time, in order, starting from a random agent;
 *   round-robin                  one at a time, starting after the agent who took the queue's last call;
 *   longest-waiting              one at a time, the agent idle the longest first;
 *   least-talk-time              one at a time, the agent with the least talk time in the queue first;
 *   fewest-answered              one at a time, the agent who answered the fewest queue calls first;
 *   hunt-by-threes-random        three at a time, agents in a random order;
 *   hunt-by-threes-prioritized   three at a time, in the agents' order.
 */
export type QueueStrategy =
  | 'ring-all'
  | 'prioritized-hunt'
  | 'random-start-hunt'
  | 'round-robin'
  | 'longest-waiting'
  | 'least-talk-time'
  | 'fewest-answered'
  | 'hunt-by-threes-random'
  | 'hunt-by-threes-prioritized';

export const QUEUE_STRATEGIES: readonly QueueStrategy[] = [
  'ring-all', 'prioritized-hunt', 'random-start-hunt', 'round-robin', 'longest-waiting', 'least-talk-time', 'fewest-answered', 'hunt-by-threes-random', 'hunt-by-threes-prioritized',
];

export interface CallQueue {
  readonly number: string;
  readonly name: string;
  /** Extensions, in priority order (the hunts' order; ties of the sorted strategies keep it). */
  readonly agents: readonly string[];
  readonly strategy: QueueStrategy;
  /** Seconds an agent (or a ring-all round, or a group of three) rings before the next; default 30. */
  readonly ringSeconds: number;
  /** Seconds a caller waits at most before `noAnswer`; default 600. */
  readonly maxWaitSeconds: number;
  /** Callers waiting at most; the next one goes to `overflow`. Absent: no limit. */
  readonly maxCallers?: number;
  /** Where callers beyond `maxCallers` go; default: `noAnswer`. */
  readonly overflow?: Destination;
  /** Seconds an agent rests after a queue call before the queue rings them again; default 0. */
  readonly wrapUpSeconds: number;
  /** Played once to each caller on arrival, before the music. */
  readonly introPrompt?: string;
  /** Music on hold while waiting; absent: the agent's default music. */
  readonly music?: string;
  /**
   * With no agent signed in, callers still wait (for one to sign in, up to `maxWaitSeconds`)
   * instead of going to `noAnswer` at once.
   */
  readonly keepWaitingIfNoAgent: boolean;
  /** Where a caller goes after `maxWaitSeconds`, or at once when no agent is signed in. */
  readonly noAnswer: Destination;
}

/** An IVR destination: any call destination, `repeat` (play the menu again). */
export type IvrDestination = Destination | { readonly kind: 'repeat' };

/** The menu keys: 0–9, `*` and `#`. */
export type IvrKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#';
export const IVR_KEYS: readonly IvrKey[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];

/** What an IVR does outside office hours: a prompt (optional) then a destination. */
export interface IvrAway {
  readonly prompt?: string;
  readonly destination: IvrDestination;
}

export interface Ivr {
  readonly number: string;
  readonly name: string;
  /** The menu prompt, played on entry and on `repeat`. */
  readonly prompt: string;
  /** Key → destination; a key absent here is invalid input (unless it starts a dialable number). */
  readonly options: Readonly<Partial<Record<IvrKey, IvrDestination>>>;
  /** Seconds without a key after the prompt ends; default 10. */
  readonly timeoutSeconds: number;
  /** Where silence leads; default `repeat`. */
  readonly timeoutDestination: IvrDestination;
  /** Where a key with no option (or a number that is not dialable) leads; default `repeat`. */
  readonly invalidDestination: IvrDestination;
  /** Times the menu is played again by `repeat` before the call ends; default 3. */
  readonly maxRepeats: number;
  /** Any extension number may be dialled during the prompt. */
  readonly dialByExtension: boolean;
  /**
   * Numbers of the model (extensions, ring groups, queues, IVRs) that may be dialled during the
   * prompt, as patterns where `X` is any one digit (`8XX`, `7001`).
   */
  readonly directDestinations: readonly string[];
  /** Seconds between the digits of a dialled number; default 3. */
  readonly interDigitSeconds: number;
  /** A dialled number is taken only when `#` ends it (no inter-digit guess). */
  readonly waitForHash: boolean;
  /** Its own office hours; absent: the global ones. */
  readonly schedule?: Schedule;
  /** Outside office hours; absent: the menu plays regardless. Break and holiday fall back to it. */
  readonly closed?: IvrAway;
  readonly onBreak?: IvrAway;
  readonly onHoliday?: IvrAway;
}

/** Call parking: numbered orbits a call waits in until retrieved, or rings its parker again. */
export interface Parking {
  /** The orbit numbers, dialled to retrieve a call (and named after the park code to park in one). */
  readonly orbits: readonly string[];
  /** Seconds a parked call waits before it rings the extension that parked it; default 120. */
  readonly timeoutSeconds: number;
}

/**
 * Paging and intercom: a dialable number that calls a ring group's members (page) or one
 * extension (page or intercom) asking the phones to answer at once, by the headers phones honour:
 * `Call-Info: <sip:...>;answer-after=0` (Polycom, Yealink, Snom, Grandstream), `Alert-Info: ...;
 * info=alert-autoanswer` (Yealink, Cisco) and, with `answerMode`, `Answer-Mode: Auto` (RFC 5373 §6).
 */
export interface PagingGroup {
  readonly number: string;
  readonly name: string;
  /** Who is called: every member of a ring group at once, or one extension. */
  readonly target: { readonly kind: 'ring-group' | 'extension'; readonly number: string };
  /** page: one-way audio, the pager to every target (a=recvonly at the phones); intercom: two-way, one extension. */
  readonly mode: 'page' | 'intercom';
  /** Also `Answer-Mode: Auto` (RFC 5373); default true. */
  readonly answerMode: boolean;
  /** Seconds a phone that does not answer by itself rings before it is given up; default 10. */
  readonly ringSeconds: number;
}

export const PAGING_MODES: readonly PagingGroup['mode'][] = ['page', 'intercom'];

/** The feature dial codes; every one configurable (`featureCodes` in the YAML). */
export interface FeatureCodes {
  /** `*51` signs the caller in to all their queues, `*51*8000` to queue 8000. */
  readonly queueSignIn: string;
  /** `*52`, `*52*8000`: sign out. */
  readonly queueSignOut: string;
  /** `**101`: answer the call ringing at extension 101. */
  readonly pickupRinging: string;
  /** `##101`: take over the call extension 101 holds. */
  readonly pickupHeld: string;
  /** `*70` parks in the first free orbit, `*70701` in orbit 701 (a blind transfer to it). */
  readonly park: string;
  /** `999`: the caller's own voicemail box (PIN, listen, delete); digits allowed, unlike the others. */
  readonly voicemailAccess: string;
}
