/**
 * The calls the agent answers itself, with its own media end on the caller's relay leg
 * (caller-terminal.ts): IVR menus (ivr-runner.ts), leaving a voicemail and the voicemail access
 * number (voicemail-runner.ts), a queue caller's intro and music while it waits (queue-hold.ts).
 * One MediaTerminal per call, opened by the first of them and kept across them (an IVR key
 * leading to a queue, voicemail or another IVR), released when the call moves on to a callee or
 * ends. Kept apart from call.ts, which gives it the few call operations it needs.
 */
import type { MediaTerminal } from '../media/index.js';
import type { Plan } from '../routing/index.js';
import type { ServerRequest, SipHeader } from '../sip/index.js';
import type { CallHost, CallInit } from './call-types.js';
import { answerInfo, openCallerTerminal } from './caller-terminal.js';
import { IvrRunner } from './ivr-runner.js';
import { PARK_TONE } from './media-anchor.js';
import { QueueHold } from './queue-hold.js';
import { accessPrompts, boxFor, leaveMessage, openMailbox } from './voicemail-runner.js';

/** What the call lets the agent's media do with it. */
export interface AgentMediaCall {
  readonly host: CallHost;
  readonly init: CallInit;
  readonly callId: string;
  /** Where the call is now (the CDR's final destination). */
  setDestination(destination: string): void;
  /** The call has ended (read after each await). */
  over(): boolean;
  /** The caller's offer anchored on the relay (once per call). */
  anchorOffer(): Promise<unknown>;
  /** 200 to the caller with the agent's SDP: the call is answered; callees are offered `calleeOffer` from now on. */
  answer(sdp: Buffer, calleeOffer: Buffer): void;
  /** A final non-2xx to the caller. */
  refuse(status: number, reason: string, headers: SipHeader[]): void;
  /** 480 feature-unavailable naming the feature. */
  unavailable(kind: string, what: string): void;
  /** BYE to the caller. */
  hangUp(reason: string): void;
}

/** The prompt a dial code's caller hears (`<state>/prompts/confirm.wav`). */
export const CONFIRM_PROMPT = 'confirm';

export class AgentMedia {
  readonly #call: AgentMediaCall;
  #terminal: MediaTerminal | undefined;
  #runner: IvrRunner | undefined;
  /** A voicemail deposit or access call on the terminal: told when the caller leaves. */
  #mailbox: { hungUp(): unknown } | undefined;
  /** A queue caller's intro and music. */
  #queueHold: QueueHold | undefined;

  constructor(call: AgentMediaCall) {
    this.#call = call;
  }

  /**
   * An IVR menu: the agent answers the caller (once, whatever the number of menus), plays the
   * menu and takes keys; the destination chosen is planned like any other (undefined: call over).
   */
  async ivr(number: string): Promise<Plan | undefined> {
    const { host, init } = this.#call;
    this.#call.setDestination(`ivr:${number}`);
    const ivr = init.model.ivrs?.find((v) => v.number === number);
    if (ivr === undefined) {
      this.#call.unavailable('ivr', number);
      return undefined;
    }
    const terminal = await this.#open();
    if (terminal === undefined || this.#call.over()) return undefined;
    const runner = new IvrRunner({ clock: host.clock, model: init.model, ivr, terminal, prompts: host.prompts, logger: host.logger });
    this.#runner = runner;
    const outcome = await runner.run();
    this.#runner = undefined;
    // The call's end closes the runner: undefined.
    if (outcome === undefined) return undefined;
    if (outcome.destination.kind === 'end-call') {
      this.#call.hangUp(outcome.reason);
      return undefined;
    }
    return host.planFor(init, outcome.destination);
  }

  /** `voicemail:N`: the agent answers and records a message into the box. */
  async voicemail(number: string): Promise<void> {
    const { host, init } = this.#call;
    const store = host.voicemail;
    const box = boxFor(init.model, number);
    if (store === undefined || box === undefined) {
      this.#call.unavailable('voicemail', number);
      return;
    }
    this.#call.setDestination(`voicemail:${number}`);
    const terminal = await this.#open();
    if (terminal === undefined || this.#call.over()) return;
    const status = box.kind === 'extension' ? host.statuses.all()[number] ?? 'default' : 'default';
    const deposit = leaveMessage({ clock: host.clock, terminal, store, box, status, caller: init.caller });
    this.#mailbox = deposit;
    const outcome = await deposit.done;
    host.logger.info({ callId: this.#call.callId, box, kept: outcome.kept, ...(outcome.kept ? {} : { reason: outcome.reason }) }, 'voicemail');
    // `#` or the maximum length ended it with the caller still on: the agent hangs up.
    if (!this.#call.over()) this.#call.hangUp('completed');
  }

  /** The access number (default 999): the caller's own box, PIN first. */
  async voicemailAccess(extension: string): Promise<void> {
    const { host } = this.#call;
    const store = host.voicemail;
    if (store === undefined) {
      this.#call.unavailable('feature', 'voicemail-access');
      return;
    }
    this.#call.setDestination(`voicemail-access:${extension}`);
    const prompts = await accessPrompts(host.prompts);
    if (this.#call.over()) return;
    const terminal = await this.#open();
    if (terminal === undefined || this.#call.over()) return;
    const onError = (error: unknown): void => host.logger.warn({ err: error, callId: this.#call.callId }, 'voicemail access failed');
    const access = await openMailbox({
      clock: host.clock, terminal, store, box: { kind: 'extension', number: extension }, prompts, onError,
      onHangup: () => this.#call.hangUp('completed'),
    });
    if (this.#call.over()) access.hungUp();
    else this.#mailbox = access;
  }

  /**
   * A dial code done (`*51`, `*52`, a status code): the agent answers with its own media end and
   * the caller hears the confirmation prompt (`confirm.wav` in the prompts folder, else the
   * built-in tone) until the call hangs up. False, with nothing answered, when the caller offered
   * no G.711: the call then answers without a prompt, as before there was one.
   */
  async confirm(): Promise<boolean> {
    const { host, init } = this.#call;
    const prompt = await host.prompts.load(CONFIRM_PROMPT);
    await this.#call.anchorOffer();
    if (this.#call.over()) return true;
    const opened = await openCallerTerminal(init.media, host.clock);
    if ('refused' in opened) return false;
    if (this.#call.over()) {
      opened.terminal.close();
      return true;
    }
    this.#terminal = opened.terminal;
    this.#call.answer(opened.answer, opened.calleeOffer);
    // Played until the call hangs up; the terminal's close ends it.
    this.#terminal.play(prompt).catch(() => undefined);
    return true;
  }

  /**
   * A caller waits in a queue: the agent answers it and plays the queue's intro once, then music
   * (the queue's own, else the agent's `musicOnHold`, else after an intro the soft park beep) until
   * endQueueHold(). False, with nothing answered, when there is nothing to play (no intro, no
   * music anywhere) or the caller offered no G.711: the caller then hears ringing, as before.
   */
  async queueHold(hold: { readonly intro?: string; readonly music?: string }): Promise<boolean> {
    const { host } = this.#call;
    const intro = hold.intro === undefined ? undefined : await host.prompts.load(hold.intro);
    const music = hold.music === undefined ? host.musicOnHold : await host.prompts.load(hold.music);
    if ((intro === undefined && music === undefined) || this.#call.over()) return false;
    const terminal = await this.#open(false);
    if (terminal === undefined || this.#call.over()) return false;
    this.#queueHold?.stop();
    const queueHold = new QueueHold(terminal.player, host.clock, intro, music ?? PARK_TONE);
    this.#queueHold = queueHold;
    queueHold.start();
    return true;
  }

  /** The queue connected the caller or sends it on: the intro or the music stops (the terminal stays for a voicemail). */
  endQueueHold(): void {
    this.#queueHold?.stop();
    this.#queueHold = undefined;
  }

  /** A SIP INFO on the caller's dialog while the agent holds its media: true when answered here. */
  info(incoming: ServerRequest): boolean {
    if (this.#terminal === undefined) return false;
    answerInfo(incoming, this.#terminal);
    return true;
  }

  /** The call moves on to a callee or ends: the caller's relay leg goes back to the relay. Idempotent. */
  release(): void {
    this.endQueueHold();
    this.#runner?.close();
    this.#runner = undefined;
    // The caller left while recording: what was said is kept (its recorder is taken before the terminal closes).
    this.#mailbox?.hungUp();
    this.#mailbox = undefined;
    this.#terminal?.close();
    this.#terminal = undefined;
  }

  /**
   * Answers the caller with the agent's own media end (200, or 488 without G.711; with `refuse`
   * false, a caller without G.711 is left unanswered and undefined returned).
   */
  async #open(refuse = true): Promise<MediaTerminal | undefined> {
    if (this.#terminal !== undefined) return this.#terminal;
    const { host, init } = this.#call;
    await this.#call.anchorOffer();
    if (this.#call.over()) return undefined;
    const opened = await openCallerTerminal(init.media, host.clock);
    if (this.#call.over()) {
      if (!('refused' in opened)) opened.terminal.close();
      return undefined;
    }
    if ('refused' in opened) {
      host.logger.info({ callId: this.#call.callId, refused: opened.refused }, 'caller media not served by the agent');
      if (!refuse) return undefined;
      // RFC 3261 §21.4.26, with the reason in a Warning (§20.43 code 305 "Incompatible media format").
      this.#call.refuse(488, 'not-acceptable', [{ name: 'Warning', value: `305 ${host.agent} "${opened.refused.replace(/"/g, "'")}"` }]);
      return undefined;
    }
    this.#terminal = opened.terminal;
    this.#call.answer(opened.answer, opened.calleeOffer);
    return this.#terminal;
  }
}
