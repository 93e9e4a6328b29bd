/**
 * One caller in an IVR menu (feature-model.ts Ivr): a state machine fed with DTMF keys (RFC 4733
 * telephone-events or SIP INFO, decoded elsewhere), the end of each prompt, and clock ticks, that
 * hands the executor IvrActions: play a prompt, stop it (a key barges in), go to a destination.
 * Time comes from an injected Clock (docs/STYLE.md rule 5); nothing else is done here.
 *
 *          start ──(office closed, break, holiday: that prompt, then its destination)──► done
 *            │ open
 *            ▼
 *        prompting ──prompt ends──► waiting ──timeoutSeconds──► timeout destination
 *            │ key                    │ key
 *            ▼                        ▼
 *        (a key that starts a dialable number) ──► collecting ──interDigitSeconds / '#'──► …
 *        (an option key) ──► its destination         (anything else) ──► invalid destination
 *
 * A dialable number is an extension (with dialByExtension) or a number of the model matching a
 * direct-destination pattern (`ivrDirectory`). A key that is both an option and the start of a
 * number waits interDigitSeconds for more digits; with waitForHash a number is taken only when
 * `#` ends it. `repeat` plays the menu again, at most maxRepeats times; then the call ends.
 */
import type { Clock, Timer } from '../core/index.js';
import type { Ivr, IvrDestination, IvrKey } from './feature-model.js';
import { IVR_KEYS } from './feature-model.js';
import type { Destination, RoutingModel, Schedule } from './model.js';
import { scheduleState } from './schedule.js';

export type IvrGoReason = 'option' | 'dialled' | 'timeout' | 'invalid' | 'closed' | 'break' | 'holiday' | 'repeats-exhausted';

export type IvrAction =
  | { readonly kind: 'play'; readonly prompt: string }
  | { readonly kind: 'stop-prompt' }
  | { readonly kind: 'go'; readonly destination: Destination; readonly reason: IvrGoReason };

export type IvrState = 'idle' | 'away-prompt' | 'prompting' | 'waiting' | 'collecting' | 'done';

export interface IvrEngineOptions {
  readonly clock: Clock;
  readonly onAction: (action: IvrAction) => void;
  /** Dialable numbers → where they lead (ivrDirectory). */
  readonly directory: ReadonlyMap<string, Destination>;
  /** The global office hours, for an IVR without its own. */
  readonly schedule: Schedule;
}

const END_CALL: Destination = { kind: 'end-call' };

/** `8XX` matches 800 to 899: X is one digit, other characters match themselves. */
function matchesPattern(pattern: string, number: string): boolean {
  if (pattern.length !== number.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== 'X' && p !== number[i]) return false;
  }
  return true;
}

/** The numbers a caller may dial in `ivr` and where each leads. */
export function ivrDirectory(model: RoutingModel, ivr: Ivr): ReadonlyMap<string, Destination> {
  const out = new Map<string, Destination>();
  const all: Destination[] = [
    ...model.extensions.filter((e) => e.enabled).map((e): Destination => ({ kind: 'extension', number: e.number })),
    ...model.ringGroups.map((g): Destination => ({ kind: 'ring-group', number: g.number })),
    ...(model.queues ?? []).map((q): Destination => ({ kind: 'queue', number: q.number })),
    ...(model.ivrs ?? []).map((v): Destination => ({ kind: 'ivr', number: v.number })),
  ];
  for (const d of all) {
    if (d.kind === 'end-call') continue;
    const byExtension = ivr.dialByExtension && d.kind === 'extension';
    if (byExtension || ivr.directDestinations.some((p) => matchesPattern(p, d.number))) out.set(d.number, d);
  }
  return out;
}

export class IvrEngine {
  readonly ivr: Ivr;
  readonly #clock: Clock;
  readonly #emit: (action: IvrAction) => void;
  readonly #directory: ReadonlyMap<string, Destination>;
  readonly #schedule: Schedule;
  #state: IvrState = 'idle';
  #digits = '';
  #repeats = 0;
  #timer: Timer | undefined;
  #away: { readonly destination: IvrDestination; readonly reason: IvrGoReason } | undefined;

  constructor(ivr: Ivr, options: IvrEngineOptions) {
    this.ivr = ivr;
    this.#clock = options.clock;
    this.#emit = options.onAction;
    this.#directory = options.directory;
    this.#schedule = options.schedule;
  }

  get state(): IvrState {
    return this.#state;
  }

  /** The caller arrives: the menu, or the office-hours prompt and destination. */
  start(): void {
    if (this.#state !== 'idle') return;
    const hours = scheduleState(this.ivr.schedule ?? this.#schedule, this.#clock.wallNow());
    const away = hours === 'open' ? undefined : hours === 'break' ? this.ivr.onBreak ?? this.ivr.closed : hours === 'holiday' ? this.ivr.onHoliday ?? this.ivr.closed : this.ivr.closed;
    if (away === undefined || hours === 'open') {
      this.#playMenu();
      return;
    }
    if (away.prompt === undefined) {
      this.#resolve(away.destination, hours);
      return;
    }
    this.#away = { destination: away.destination, reason: hours };
    this.#state = 'away-prompt';
    this.#emit({ kind: 'play', prompt: away.prompt });
  }

  /** The prompt being played has ended. */
  promptEnded(): void {
    if (this.#state === 'away-prompt' && this.#away !== undefined) {
      this.#resolve(this.#away.destination, this.#away.reason);
    } else if (this.#state === 'prompting') {
      this.#state = 'waiting';
      this.#arm(this.ivr.timeoutSeconds, () => this.#resolve(this.ivr.timeoutDestination, 'timeout'));
    }
  }

  /** A DTMF key; anything but 0-9, `*` and `#` is ignored (RFC 4733 events A-D, flash). */
  key(key: string): void {
    if (this.#state !== 'prompting' && this.#state !== 'waiting' && this.#state !== 'collecting') return;
    if (!IVR_KEYS.includes(key as IvrKey)) return;
    if (this.#state === 'prompting') this.#emit({ kind: 'stop-prompt' });
    this.#cancel();
    if (key === '#') {
      if (this.#digits === '') this.#option('#');
      else this.#complete(true);
      return;
    }
    this.#digits += key;
    const exact = this.#directory.has(this.#digits);
    const longer = [...this.#directory.keys()].some((n) => n.length > this.#digits.length && n.startsWith(this.#digits));
    if (!exact && !longer) {
      if (this.#digits.length === 1) this.#option(key as IvrKey);
      else this.#resolve(this.ivr.invalidDestination, 'invalid');
      return;
    }
    if (exact && !longer && !this.ivr.waitForHash) {
      this.#go(this.#directory.get(this.#digits) ?? END_CALL, 'dialled');
      return;
    }
    this.#state = 'collecting';
    this.#arm(this.ivr.interDigitSeconds, () => this.#complete(false));
  }

  /** Stops the timer; the engine then ignores all input. Idempotent. */
  close(): void {
    this.#cancel();
    this.#state = 'done';
  }

  /** The digits are complete: by `#`, or by the inter-digit timeout (`byHash` false). */
  #complete(byHash: boolean): void {
    const target = this.#directory.get(this.#digits);
    if (target !== undefined && (byHash || !this.ivr.waitForHash)) this.#go(target, 'dialled');
    else if (this.#digits.length === 1) this.#option(this.#digits as IvrKey);
    else this.#resolve(this.ivr.invalidDestination, 'invalid');
  }

  #option(key: IvrKey): void {
    const dest = Object.hasOwn(this.ivr.options, key) ? this.ivr.options[key] : undefined;
    if (dest === undefined) this.#resolve(this.ivr.invalidDestination, 'invalid');
    else this.#resolve(dest, 'option');
  }

  #resolve(dest: IvrDestination, reason: IvrGoReason): void {
    if (dest.kind !== 'repeat') {
      this.#go(dest, reason);
      return;
    }
    this.#repeats += 1;
    if (this.#repeats > this.ivr.maxRepeats) this.#go(END_CALL, 'repeats-exhausted');
    else this.#playMenu();
  }

  #playMenu(): void {
    this.#digits = '';
    this.#state = 'prompting';
    this.#emit({ kind: 'play', prompt: this.ivr.prompt });
  }

  #go(destination: Destination, reason: IvrGoReason): void {
    this.#cancel();
    this.#state = 'done';
    this.#emit({ kind: 'go', destination, reason });
  }

  #arm(seconds: number, then: () => void): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      then();
    }, seconds * 1000);
  }

  #cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
