/**
 * One IVR menu on a call the agent answered itself: the IVR engine (src/routing/ivr-engine.ts)
 * drives the call's MediaTerminal (prompts as RTP, barge-in on a key), the terminal's DTMF (RFC
 * 4733 telephone-events and SIP INFO) feeds the engine, and run() resolves with the destination
 * the engine chose (the call then plans it like any other destination). close() is idempotent.
 */
import type { Clock, Logger } from '../core/index.js';
import type { MediaTerminal } from '../media/index.js';
import { IvrEngine, ivrDirectory, type Destination, type Ivr, type IvrGoReason, type RoutingModel } from '../routing/index.js';
import type { PromptLibrary } from './prompt-library.js';

export interface IvrOutcome {
  readonly destination: Destination;
  readonly reason: IvrGoReason;
}

export interface IvrRunnerOptions {
  readonly clock: Clock;
  readonly model: RoutingModel;
  readonly ivr: Ivr;
  readonly terminal: MediaTerminal;
  readonly prompts: PromptLibrary;
  readonly logger: Logger;
}

export class IvrRunner {
  readonly #o: IvrRunnerOptions;
  readonly #engine: IvrEngine;
  /** Counts prompts started: the end of one superseded (by a barge-in or a repeat) is not the end of the current one. */
  #playing = 0;
  #resolve: ((outcome: IvrOutcome | undefined) => void) | undefined;
  #offDtmf: (() => void) | undefined;
  #closed = false;

  constructor(options: IvrRunnerOptions) {
    this.#o = options;
    this.#engine = new IvrEngine(options.ivr, {
      clock: options.clock,
      directory: ivrDirectory(options.model, options.ivr),
      schedule: options.model.schedule,
      onAction: (action) => {
        switch (action.kind) {
          case 'play':
            void this.#play(action.prompt);
            return;
          case 'stop-prompt':
            this.#playing += 1;
            this.#o.terminal.stopPlaying();
            return;
          case 'go':
            this.#finish({ destination: action.destination, reason: action.reason });
            return;
        }
      },
    });
  }

  /** Runs the menu; undefined when closed first (the caller hung up). */
  run(): Promise<IvrOutcome | undefined> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      if (this.#closed) {
        resolve(undefined);
        return;
      }
      this.#offDtmf = this.#o.terminal.events.on('dtmf', (d) => this.#engine.key(d.symbol));
      this.#engine.start();
    });
  }

  close(): void {
    this.#finish(undefined);
  }

  async #play(prompt: string): Promise<void> {
    const token = ++this.#playing;
    const samples = await this.#o.prompts.load(prompt);
    if (this.#closed || token !== this.#playing) return;
    const outcome = await this.#o.terminal.play(samples);
    if (this.#closed || token !== this.#playing || outcome.stopped) return;
    this.#engine.promptEnded();
  }

  #finish(outcome: IvrOutcome | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine.close();
    this.#offDtmf?.();
    this.#o.terminal.stopPlaying();
    if (outcome !== undefined) this.#o.logger.debug({ ivr: this.#o.ivr.number, ...outcome }, 'ivr done');
    this.#resolve?.(outcome);
  }
}
