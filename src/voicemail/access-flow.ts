/**
 * The voicemail access number (999 by default): a caller reaches their own box, enters its PIN
 * (ended by `#`, or by a pause), hears how many new and old messages wait, then drives it with
 * keys. A pure state machine on an injected clock: it receives digits, "prompt ended" and
 * "hung up", and answers with actions (play a prompt or a message, mark heard, delete, hang up)
 * that the call around it carries out on a MediaTerminal and the VoicemailStore.
 *
 *   pin ──(right PIN)──▶ menu ◀──(message ended)── playing
 *    │                    │ 1 ▶ playing (this message)      # ▶ next message (this one heard)
 *    │ 3 wrong PINs       │ 7 ▶ delete this message         0 ▶ menu again      * ▶ goodbye
 *    ▼                    ▼ idle 30 s
 *  ended ◀──────────── ended
 *
 * Menu keys: 1 listen, 7 delete, # next, 0 repeat the menu, * end.
 */
import type { Clock, Timer } from '../core/index.js';
import type { VoicemailMessage } from './box-index.js';
import { VoicemailError } from './errors.js';

export const DEFAULT_ACCESS_NUMBER = '999';
export const MAX_PIN_ATTEMPTS = 3;
/** A pause this long after the last PIN digit ends the PIN as `#` would. */
export const PIN_DIGIT_TIMEOUT_MS = 5_000;
/** No key this long in the menu (not while a message plays) ends the call. */
export const MENU_IDLE_TIMEOUT_MS = 30_000;
const MAX_PIN_LENGTH = 12;

export type AccessState = 'pin' | 'menu' | 'playing' | 'ended';

const EDGES: Readonly<Record<AccessState, readonly AccessState[]>> = {
  pin: ['pin', 'menu', 'ended'],
  menu: ['menu', 'playing', 'ended'],
  playing: ['menu', 'playing', 'ended'],
  ended: [],
};

export type AccessPrompt = 'enter-pin' | 'wrong-pin' | 'summary' | 'menu' | 'no-messages' | 'message-deleted' | 'no-more-messages' | 'goodbye';

export type AccessAction =
  | { readonly kind: 'play'; readonly prompt: AccessPrompt; readonly counts?: { readonly new: number; readonly old: number } }
  | { readonly kind: 'play-message'; readonly message: VoicemailMessage; readonly position: number }
  | { readonly kind: 'mark-old'; readonly id: string }
  | { readonly kind: 'delete'; readonly id: string }
  | { readonly kind: 'hangup' };

export interface AccessFlowOptions {
  readonly clock: Clock;
  /** The box's messages when the call began: played new ones first, each group oldest first. */
  readonly messages: readonly VoicemailMessage[];
  readonly checkPin: (pin: string) => boolean;
  readonly act: (action: AccessAction) => void;
}

export class VoicemailAccessFlow {
  readonly #o: AccessFlowOptions;
  readonly #messages: VoicemailMessage[];
  #state: AccessState = 'pin';
  #pin = '';
  #attempts = 0;
  #current = 0;
  #timer: Timer | undefined;

  constructor(o: AccessFlowOptions) {
    this.#o = o;
    const order = (m: VoicemailMessage): number => (m.status === 'new' ? 0 : 1);
    this.#messages = [...o.messages].sort((a, b) => order(a) - order(b) || a.receivedAt - b.receivedAt);
  }

  get state(): AccessState {
    return this.#state;
  }

  /** The messages left in the box (deleted ones gone), in playing order. */
  get messages(): readonly VoicemailMessage[] {
    return this.#messages;
  }

  start(): void {
    this.#o.act({ kind: 'play', prompt: 'enter-pin' });
    this.#arm(PIN_DIGIT_TIMEOUT_MS * 2, () => this.#endPin());
  }

  digit(symbol: string): void {
    if (this.#state === 'ended') return;
    if (this.#state === 'pin') {
      if (symbol === '#') {
        this.#endPin();
      } else if (/^\d$/.test(symbol) && this.#pin.length < MAX_PIN_LENGTH) {
        this.#pin += symbol;
        this.#arm(PIN_DIGIT_TIMEOUT_MS, () => this.#endPin());
      }
      return;
    }
    this.#menuKey(symbol);
  }

  /** The prompt or message being played has finished. */
  promptEnded(): void {
    if (this.#state !== 'playing') return;
    const m = this.#messages[this.#current];
    if (m !== undefined) this.#heard(m);
    this.#to('menu');
    this.#o.act({ kind: 'play', prompt: 'menu' });
    this.#arm(MENU_IDLE_TIMEOUT_MS, () => this.#goodbye());
  }

  /** The caller hung up. */
  hungUp(): void {
    this.#timer?.cancel();
    if (this.#state !== 'ended') this.#to('ended');
  }

  #menuKey(symbol: string): void {
    const m = this.#messages[this.#current];
    switch (symbol) {
      case '1':
        if (m === undefined) {
          this.#say(this.#messages.length === 0 ? 'no-messages' : 'no-more-messages');
          return;
        }
        this.#timer?.cancel();
        this.#to('playing');
        this.#o.act({ kind: 'play-message', message: m, position: this.#current + 1 });
        return;
      case '7':
        if (m === undefined) {
          this.#say('no-more-messages');
          return;
        }
        this.#o.act({ kind: 'delete', id: m.id });
        this.#messages.splice(this.#current, 1);
        this.#say('message-deleted');
        return;
      case '#':
        if (m !== undefined) this.#heard(m);
        if (this.#current < this.#messages.length) this.#current++;
        if (this.#current >= this.#messages.length) {
          this.#say('no-more-messages');
          return;
        }
        this.#menuKey('1');
        return;
      case '0':
        this.#say('menu');
        return;
      case '*':
        this.#goodbye();
        return;
      default:
        this.#say('menu');
    }
  }

  #heard(m: VoicemailMessage): void {
    if (m.status === 'old') return;
    const at = this.#messages.indexOf(m);
    if (at >= 0) this.#messages[at] = { ...m, status: 'old' };
    this.#o.act({ kind: 'mark-old', id: m.id });
  }

  #say(prompt: AccessPrompt): void {
    this.#to('menu');
    this.#o.act({ kind: 'play', prompt });
    this.#arm(MENU_IDLE_TIMEOUT_MS, () => this.#goodbye());
  }

  #endPin(): void {
    if (this.#state !== 'pin') return;
    const pin = this.#pin;
    this.#pin = '';
    if (pin !== '' && this.#o.checkPin(pin)) {
      this.#to('menu');
      const fresh = this.#messages.filter((m) => m.status === 'new').length;
      this.#o.act({ kind: 'play', prompt: 'summary', counts: { new: fresh, old: this.#messages.length - fresh } });
      this.#o.act({ kind: 'play', prompt: 'menu' });
      this.#arm(MENU_IDLE_TIMEOUT_MS, () => this.#goodbye());
      return;
    }
    this.#attempts++;
    if (this.#attempts >= MAX_PIN_ATTEMPTS) {
      this.#goodbye();
      return;
    }
    this.#to('pin');
    this.#o.act({ kind: 'play', prompt: 'wrong-pin' });
    this.#arm(PIN_DIGIT_TIMEOUT_MS * 2, () => this.#endPin());
  }

  #goodbye(): void {
    this.#timer?.cancel();
    this.#to('ended');
    this.#o.act({ kind: 'play', prompt: 'goodbye' });
    this.#o.act({ kind: 'hangup' });
  }

  #arm(ms: number, fn: () => void): void {
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimeout(fn, ms);
  }

  #to(next: AccessState): void {
    if (!EDGES[this.#state].includes(next)) throw new VoicemailError(`access flow cannot go from ${this.#state} to ${next}`);
    this.#state = next;
  }
}
