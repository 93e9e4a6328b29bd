/**
 * Leaving a message: the box's greeting for the owner's status (or a built-in one), a beep, then
 * what the caller says is recorded until they press `#`, hang up, or `maxSeconds` pass; a
 * recording shorter than `minSeconds` (a caller who hung up at the beep) is not kept. The message
 * goes into the VoicemailStore, whose `changed` event drives the MWI NOTIFY (connectMwi).
 * Media, store and clock are injected: the call around it owns the MediaTerminal and closes it.
 */
import type { Clock, Timer } from '../core/index.js';
import { readPromptWav, toneSamples, type MediaTerminal, type WavRecorder } from '../media/index.js';
import type { BoxId, VoicemailMessage } from './box-index.js';
import type { MwiNotifier } from './mwi-notifier.js';
import type { VoicemailStore } from './voicemail-store.js';

export const DEFAULT_MAX_MESSAGE_SECONDS = 180;
export const DEFAULT_MIN_MESSAGE_SECONDS = 1;

/** The beep before recording: a 1 kHz sine, no file needed. */
export const BEEP = toneSamples(1000, 400);

export interface DepositOptions {
  readonly clock: Clock;
  readonly terminal: MediaTerminal;
  readonly store: VoicemailStore;
  readonly box: BoxId;
  /** The box owner's status (selects the greeting); `default` for queues. */
  readonly status: string;
  readonly caller: string;
  /** Played when the box has no greeting (8 kHz PCM). */
  readonly fallbackGreeting: Int16Array;
  readonly maxSeconds?: number;
  readonly minSeconds?: number;
}

export type DepositState = 'greeting' | 'recording' | 'done';

export type DepositOutcome = { readonly kept: true; readonly message: VoicemailMessage } | { readonly kept: false; readonly reason: 'too-short' | 'hung-up-before-beep' | 'store-refused'; readonly error?: unknown };

export class VoicemailDeposit {
  readonly #o: DepositOptions;
  #state: DepositState = 'greeting';
  #recorder: WavRecorder | undefined;
  #timer: Timer | undefined;
  #off: (() => void) | undefined;
  #resolve: ((o: DepositOutcome) => void) | undefined;
  readonly done: Promise<DepositOutcome>;

  constructor(o: DepositOptions) {
    this.#o = o;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get state(): DepositState {
    return this.#state;
  }

  /** Plays the greeting and the beep, then records. Resolves `done` when the message is kept or not. */
  async start(): Promise<void> {
    const { store, box, status, terminal } = this.#o;
    const wav = await store.greeting(box, status);
    const greeting = wav === undefined ? this.#o.fallbackGreeting : readPromptWav(wav, `greeting-${status}.wav`);
    // `#` during the greeting skips it (callers who know the box), as most voicemail systems do.
    this.#off = terminal.events.on('dtmf', (d) => {
      if (d.symbol !== '#') return;
      if (this.#state === 'greeting') terminal.stopPlaying();
      else if (this.#state === 'recording') void this.#finish();
    });
    await terminal.play(greeting);
    if (this.#state !== 'greeting') return;
    await terminal.play(BEEP);
    if (this.#state !== 'greeting') return;
    this.#state = 'recording';
    this.#recorder = terminal.startRecording(this.#o.maxSeconds ?? DEFAULT_MAX_MESSAGE_SECONDS);
    this.#timer = this.#o.clock.setTimeout(() => void this.#finish(), (this.#o.maxSeconds ?? DEFAULT_MAX_MESSAGE_SECONDS) * 1000);
  }

  /** The caller hung up: what was recorded is kept (if long enough). */
  hungUp(): Promise<DepositOutcome> {
    if (this.#state === 'greeting') {
      this.#state = 'done';
      this.#o.terminal.stopPlaying();
      this.#end({ kept: false, reason: 'hung-up-before-beep' });
    } else {
      void this.#finish();
    }
    return this.done;
  }

  async #finish(): Promise<void> {
    if (this.#state !== 'recording') return;
    this.#state = 'done';
    this.#timer?.cancel();
    const recorder = this.#o.terminal.stopRecording() ?? this.#recorder;
    const seconds = recorder?.seconds ?? 0;
    if (recorder === undefined || seconds < (this.#o.minSeconds ?? DEFAULT_MIN_MESSAGE_SECONDS)) {
      this.#end({ kept: false, reason: 'too-short' });
      return;
    }
    try {
      const message = await this.#o.store.deposit(this.#o.box, { caller: this.#o.caller, wav: recorder.toWav(), seconds });
      this.#end({ kept: true, message });
    } catch (error) {
      this.#end({ kept: false, reason: 'store-refused', error });
    }
  }

  #end(outcome: DepositOutcome): void {
    this.#off?.();
    this.#resolve?.(outcome);
  }
}

/** Sends MWI for every change of the store's boxes; returns the function that disconnects it. */
export function connectMwi(store: VoicemailStore, notifier: MwiNotifier): () => void {
  return store.events.on('changed', (c) => void notifier.boxChanged(c.box, { new: c.new, old: c.old }));
}
