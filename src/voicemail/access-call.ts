/**
 * The access number's call: VoicemailAccessFlow driven by the caller's keys (RFC 4733 or INFO,
 * from a MediaTerminal), its actions carried out on that terminal (prompts and messages played
 * one after the other; a key stops what plays and its answer starts at once) and on the
 * VoicemailStore (heard, deleted). Prompt audio is given (8 kHz PCM per prompt); `onHangup` ends
 * the SIP call once the goodbye has played.
 */
import type { Clock } from '../core/index.js';
import { readPromptWav, type MediaTerminal } from '../media/index.js';
import { VoicemailAccessFlow, type AccessAction, type AccessPrompt } from './access-flow.js';
import { pinMatches, type BoxId } from './box-index.js';
import type { VoicemailStore } from './voicemail-store.js';

export interface AccessCallOptions {
  readonly clock: Clock;
  readonly terminal: MediaTerminal;
  readonly store: VoicemailStore;
  readonly box: BoxId;
  readonly prompts: Readonly<Record<AccessPrompt, Int16Array>>;
  readonly onHangup: () => void;
  readonly onError?: (error: unknown) => void;
}

type Playable = { readonly kind: 'prompt'; readonly samples: Int16Array } | { readonly kind: 'message'; readonly id: string } | { readonly kind: 'hangup' };

export class VoicemailAccessCall {
  readonly flow: VoicemailAccessFlow;
  readonly #o: AccessCallOptions;
  #queue: Playable[] = [];
  #running = false;
  #off: (() => void) | undefined;

  private constructor(o: AccessCallOptions, flow: VoicemailAccessFlow) {
    this.#o = o;
    this.flow = flow;
  }

  /** Reads the box, then greets the caller with the PIN prompt. */
  static async start(o: AccessCallOptions): Promise<VoicemailAccessCall> {
    const index = await o.store.index(o.box);
    // The flow answers from its first action on, before the call object exists: hold it here.
    const ref: { call?: VoicemailAccessCall } = {};
    const flow = new VoicemailAccessFlow({ clock: o.clock, messages: index.messages, checkPin: (pin) => pinMatches(index.pin, pin), act: (a) => {
      const target = ref.call;
      if (target !== undefined) target.#act(a);
    } });
    const call = new VoicemailAccessCall(o, flow);
    ref.call = call;
    call.#off = o.terminal.events.on('dtmf', (d) => {
      // A key interrupts: what was queued is dropped, what plays stops, the flow answers afresh.
      call.#interrupt();
      flow.digit(d.symbol);
    });
    flow.start();
    return call;
  }

  /** The caller hung up. */
  hungUp(): void {
    this.#off?.();
    this.#queue = [];
    this.flow.hungUp();
  }

  #interrupt(): void {
    if (this.#queue.some((p) => p.kind === 'hangup')) return;
    this.#queue = [];
    this.#o.terminal.stopPlaying();
  }

  #act(a: AccessAction): void {
    const fail = (error: unknown): void => this.#o.onError?.(error);
    switch (a.kind) {
      case 'play':
        this.#enqueue({ kind: 'prompt', samples: this.#o.prompts[a.prompt] });
        return;
      case 'play-message':
        this.#enqueue({ kind: 'message', id: a.message.id });
        return;
      case 'mark-old':
        this.#o.store.markOld(this.#o.box, a.id).catch(fail);
        return;
      case 'delete':
        this.#o.store.remove(this.#o.box, a.id).catch(fail);
        return;
      case 'hangup':
        this.#off?.();
        this.#enqueue({ kind: 'hangup' });
    }
  }

  #enqueue(p: Playable): void {
    this.#queue.push(p);
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        if (next.kind === 'hangup') {
          this.#o.onHangup();
          return;
        }
        if (next.kind === 'prompt') {
          await this.#o.terminal.play(next.samples);
          continue;
        }
        const samples = readPromptWav(await this.#o.store.readMessage(this.#o.box, next.id), `m-${next.id}.wav`);
        const outcome = await this.#o.terminal.play(samples);
        if (!outcome.stopped) this.flow.promptEnded();
      }
    } catch (error) {
      this.#o.onError?.(error);
    } finally {
      this.#running = false;
    }
  }
}
