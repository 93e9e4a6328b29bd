/**
 * A call's media terminated by the agent itself, for IVR prompts, voicemail and music on hold:
 * it plays prompts through an RtpPlayer (G.711 by the negotiated payload type, SRTP-protected
 * when SDES was negotiated), hears DTMF as RFC 4733 telephone-events (DtmfReceiver) and as SIP
 * INFO bodies (parseDtmfInfo, handed in by the dialog), and records what the phone sends into a
 * WavRecorder. The endpoint (a UdpRelayLeg in the agent, an in-memory pair in tests) and the
 * clock are injected; close() is idempotent.
 */
import { TypedEmitter, type Clock } from '../core/index.js';
import { DtmfReceiver, RtpParseError, SrtpReceiver, SrtpSender, isRtcpPacket, parseRtpHeader, type SrtpReceiverCounters } from '../rtp/index.js';
import { parseDtmfInfo, type InfoDigit } from './dtmf-info.js';
import type { MediaEndpoint } from './media-endpoint.js';
import { RtpPlayer, type PlayOutcome } from './rtp-player.js';
import type { TerminalMediaPlan } from './terminal-media.js';
import { WavRecorder } from './wav-recorder.js';

export interface MediaTerminalDtmf {
  readonly symbol: string;
  readonly source: 'rfc4733' | 'info';
  /** Clock time it was heard. */
  readonly at: number;
}

export interface MediaTerminalEvents extends Record<string, unknown> {
  dtmf: MediaTerminalDtmf;
}

export interface MediaTerminalOptions {
  readonly endpoint: MediaEndpoint;
  readonly clock: Clock;
  readonly plan: Pick<TerminalMediaPlan, 'law' | 'payloadType' | 'telephoneEventPayloadType' | 'srtp'>;
  /** SSRC and first sequence/timestamp (random by default). */
  readonly random?: () => number;
  readonly onListenerError?: (event: string, error: unknown) => void;
}

export interface MediaTerminalCounters {
  /** RTP packets received and used (audio or telephone-event). */
  readonly received: number;
  /** RTCP, other payload types, malformed RTP. */
  readonly ignored: number;
  /** Present with SRTP: authentication failures, replays, malformed. */
  readonly srtp: SrtpReceiverCounters | undefined;
}

export class MediaTerminal {
  readonly events: TypedEmitter<MediaTerminalEvents>;
  readonly player: RtpPlayer;
  readonly #o: MediaTerminalOptions;
  readonly #dtmf: DtmfReceiver;
  readonly #srtpIn: SrtpReceiver | undefined;
  #recorder: WavRecorder | undefined;
  #received = 0;
  #ignored = 0;
  #closed = false;

  constructor(o: MediaTerminalOptions) {
    this.#o = o;
    this.events = new TypedEmitter<MediaTerminalEvents>(o.onListenerError);
    const srtp = o.plan.srtp;
    const sender = srtp === undefined ? undefined : new SrtpSender(srtp.send);
    this.#srtpIn = srtp === undefined ? undefined : new SrtpReceiver(srtp.receive);
    this.player = new RtpPlayer({
      clock: o.clock,
      law: o.plan.law,
      payloadType: o.plan.payloadType,
      ...(o.random === undefined ? {} : { random: o.random }),
      send: (packet) => o.endpoint.send(sender === undefined ? packet : sender.protect(packet)),
    });
    this.#dtmf = new DtmfReceiver((d) => this.#digit(d.symbol, 'rfc4733'));
    o.endpoint.onPacket((packet) => this.#receive(packet));
  }

  get counters(): MediaTerminalCounters {
    return { received: this.#received, ignored: this.#ignored, srtp: this.#srtpIn?.counters };
  }

  /** Plays 8 kHz PCM samples; a prompt already playing is stopped first. */
  play(samples: Int16Array): Promise<PlayOutcome> {
    return this.player.play(samples);
  }

  stopPlaying(): void {
    this.player.stop();
  }

  /** Starts a new recording of what the phone sends (a recording in progress is replaced). */
  startRecording(maxSeconds?: number): WavRecorder {
    this.#recorder = new WavRecorder({ law: this.#o.plan.law, ...(maxSeconds === undefined ? {} : { maxSeconds }) });
    return this.#recorder;
  }

  /** Ends the recording and returns it (undefined when none was started). */
  stopRecording(): WavRecorder | undefined {
    const r = this.#recorder;
    this.#recorder = undefined;
    return r;
  }

  /**
   * A SIP INFO body from the phone's dialog: the digit it carries is emitted like an RFC 4733 one.
   * A body that is not DTMF throws DtmfInfoError, whose status the dialog answers with.
   */
  receiveInfo(contentType: string, body: Buffer | string): InfoDigit {
    const digit = parseDtmfInfo(contentType, body);
    if (!this.#closed) this.#digit(digit.symbol, 'info');
    return digit;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.player.close();
    this.#dtmf.flush();
    this.#o.endpoint.close();
  }

  #digit(symbol: string, source: MediaTerminalDtmf['source']): void {
    this.events.emit('dtmf', { symbol, source, at: this.#o.clock.now() });
  }

  #receive(raw: Buffer): void {
    if (this.#closed) return;
    // SRTCP is not implemented: RTCP (plain or protected) is only counted (RFC 5761 §4 demux).
    if (raw.length >= 2 && isRtcpPacket(raw)) {
      this.#ignored++;
      return;
    }
    const packet = this.#srtpIn === undefined ? raw : this.#srtpIn.unprotect(raw);
    if (packet === undefined) return;
    let header;
    try {
      header = parseRtpHeader(packet);
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
      this.#ignored++;
      return;
    }
    const payload = packet.subarray(header.headerLength, packet.length - header.paddingLength);
    try {
      if (header.payloadType === this.#o.plan.telephoneEventPayloadType) {
        this.#dtmf.receive(header.timestamp, payload);
      } else if (header.payloadType === this.#o.plan.payloadType) {
        this.#recorder?.push(header.timestamp, payload);
      } else {
        this.#ignored++;
        return;
      }
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
      this.#ignored++;
      return;
    }
    this.#received++;
  }
}
