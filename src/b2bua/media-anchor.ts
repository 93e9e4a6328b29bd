/**
 * Media of a B2BUA call: one UDP relay leg toward the caller (A) and one toward the callee (B) per
 * media section, joined by a MediaSession. Every SDP that crosses the B2BUA is rewritten so each
 * side sends RTP to its own relay leg (c= and m= port, src/sdp rewriteSdp); codecs, telephone-event
 * (RFC 4733 DTMF), a=crypto (RFC 4568 SDES: the relay forwards SRTP without decrypting) and the
 * direction attributes of hold (RFC 3264 §8.4) pass unchanged. While a call forks, every B phone
 * gets the same offer, pointing at the B-side leg; the answer that wins sets where B receives.
 * Both legs sit on this agent, so a call between two LAN phones is bridged locally here.
 */
import type { Clock } from '../core/index.js';
import { HoldMusic, g711Format } from './hold-music.js';
import { offerAsAnswered, terminalAnswer, type CallerTerminal } from './terminal-answer.js';
import { LoopingPlayer, MediaSession, RtpPlayer, openUdpRelayLeg, toneSamples, planTerminalMedia, type MediaEndpoint, type PortPool, type TerminalMediaRefusal, type RemoteMedia, type UdpBinder, type UdpRelayLeg } from '../media/index.js';
import {
  clockRates, mediaConnection, parseSdp, rewriteSdp, rtcpAttribute, serializeSdp, type MediaAnchor as SdpAnchor, type SdpMedia, type SessionDescription,
} from '../sdp/index.js';

/** The media of one call, as the B2BUA drives it. */
export interface CallMediaBridge {
  /** An SDP written by the caller (offer or answer), rewritten for the callee; learns where the caller receives. */
  fromCaller(sdp: Buffer, signalingAddress?: string): Promise<Buffer>;
  /** An SDP written by the callee, rewritten for the caller; learns where the callee receives. */
  fromCallee(sdp: Buffer, signalingAddress?: string): Promise<Buffer>;
  /**
   * An answer of our own to the caller's last offer (the agent itself answers, e.g. a dial-code
   * confirmation): the offer's sections anchored on the caller-side legs.
   */
  localAnswer(): Promise<Buffer>;
  /**
   * The agent itself answers the caller's last offer and terminates its first audio stream (IVR,
   * voicemail; terminal-answer.ts): the answer SDP and an endpoint on the caller's relay leg, or
   * why the offer cannot be served (the caller then gets 488).
   */
  terminal(random?: (n: number) => Buffer): Promise<CallerTerminal | TerminalMediaRefusal>;
  /**
   * Music on hold to `side` alone, its peer gone (a parked call, park-runner.ts): the relay stops
   * forwarding both ways and the music plays out of the leg facing `side`, in the first G.711
   * format `side` was last sent, until the returned function stops it and joins the relay again.
   */
  parkMusic(side: 'a' | 'b'): Promise<() => void>;
  /**
   * Paging (page-runner.ts): one more relay leg, toward a party that only listens: `offer` (its
   * first audio stream) anchored on that leg, and the leg's answer and send. Closed with the call.
   */
  listenerLeg(offer: Buffer): Promise<ListenerLeg>;
  /** Releases the relay legs and their ports. Idempotent. */
  close(): void;
}

/** A relay leg of its own toward one listener of a page (CallMediaBridge.listenerLeg). */
export interface ListenerLeg {
  /** The offer for the listener, pointing at this leg. */
  readonly offer: Buffer;
  /** The listener's answer: where it receives. */
  answered(sdp: Buffer, signalingAddress?: string): void;
  send(packet: Buffer): void;
  /** Releases the leg and its ports. Idempotent. */
  close(): void;
}

/**
 * What a parked call hears when the agent has no music configured: a soft 425 Hz beep (0.2 s)
 * every 4 s, so the parked party knows it is still connected (silence sounds like a dropped call).
 */
export const PARK_TONE: Int16Array = (() => {
  const out = new Int16Array(4 * 8000);
  out.set(toneSamples(425, 200, 2000));
  return out;
})();

/** Opens the media of a new call. */
export interface MediaAnchor {
  open(callId: string): CallMediaBridge;
}

export interface UdpMediaAnchorOptions {
  readonly clock: Clock;
  readonly pool: PortPool;
  /** Binds a relay socket (src/net bindUdp on the LAN address in production). */
  readonly bind: UdpBinder;
  /** The address written in the SDPs we send (c= and o=). */
  readonly address: string;
  /** Music on hold (8 kHz PCM) played to a side the other side holds; absent: silence on hold. */
  readonly musicOnHold?: Int16Array;
}

interface Stream {
  readonly a: UdpRelayLeg;
  readonly b: UdpRelayLeg;
  readonly session: MediaSession;
}

function remoteOf(sd: SessionDescription, index: number, m: SdpMedia, signalingAddress: string | undefined): RemoteMedia {
  const rtcp = rtcpAttribute(m);
  return {
    address: mediaConnection(sd, index)?.address.split('/')[0] ?? '0.0.0.0',
    port: m.port,
    ...(rtcp === undefined ? {} : { rtcpPort: rtcp.port }),
    rtcpMux: m.attributes.some((a) => a.name === 'rtcp-mux'),
    ...(signalingAddress === undefined ? {} : { signalingAddress }),
  };
}

class UdpCallMedia implements CallMediaBridge {
  readonly #o: UdpMediaAnchorOptions;
  readonly #streams = new Map<number, Promise<Stream>>();
  /** The last description each side was sent (RFC 3264 §8: o= version counts up on change). */
  readonly #sent: { toA?: SessionDescription; toB?: SessionDescription } = {};
  #lastOffer: SessionDescription | undefined;
  readonly #holdMusic: HoldMusic | undefined;
  /** Stops of the music playing to a parked side. */
  readonly #parkMusic = new Set<() => void>();
  /** Relay legs toward the listeners of a page. */
  readonly #listeners = new Set<UdpRelayLeg>();
  #closed = false;

  constructor(options: UdpMediaAnchorOptions) {
    this.#o = options;
    this.#holdMusic = options.musicOnHold === undefined ? undefined : new HoldMusic(options.clock, options.musicOnHold);
  }

  fromCaller(sdp: Buffer, signalingAddress?: string): Promise<Buffer> {
    return this.#relay(sdp, 'a', signalingAddress);
  }

  fromCallee(sdp: Buffer, signalingAddress?: string): Promise<Buffer> {
    return this.#relay(sdp, 'b', signalingAddress);
  }

  async localAnswer(): Promise<Buffer> {
    const offer = this.#lastOffer;
    if (offer === undefined) return Buffer.alloc(0);
    const anchors: (SdpAnchor | undefined)[] = [];
    for (const [i, m] of offer.media.entries()) anchors.push(m.port === 0 ? undefined : this.#anchor((await this.#stream(i)).a));
    return Buffer.from(serializeSdp(this.#rewrite(offer, anchors, 'toA')));
  }

  async terminal(random?: (n: number) => Buffer): Promise<CallerTerminal | TerminalMediaRefusal> {
    const offer = this.#lastOffer;
    const index = offer?.media.findIndex((m) => m.media === 'audio' && m.port !== 0) ?? -1;
    const m = offer?.media[index];
    if (offer === undefined || m === undefined) return { refused: 'no audio stream offered' };
    const plan = planTerminalMedia(m, random);
    if ('refused' in plan) return plan;
    const stream = await this.#stream(index);
    const answer = terminalAnswer(offer, index, plan);
    const sd = this.#rewrite(answer, answer.media.map((_m, i) => (i === index ? this.#anchor(stream.a) : undefined)), 'toA');
    // The caller keeps sending to its relay leg: the terminal borrows that leg's packets and gives
    // them back to the relay (toward B) when it closes, so the caller's SDP never changes.
    let released = false;
    const endpoint: MediaEndpoint = {
      send: (packet) => stream.a.send(packet),
      onPacket: (handler) => stream.a.onPacket(handler),
      close: () => {
        if (released) return;
        released = true;
        stream.session.rejoin();
      },
    };
    return { answer: Buffer.from(serializeSdp(sd)), plan, endpoint, calleeOffer: Buffer.from(serializeSdp(offerAsAnswered(offer, index, plan))) };
  }

  async parkMusic(side: 'a' | 'b'): Promise<() => void> {
    const sd = this.#sent[side === 'a' ? 'toA' : 'toB'];
    const index = sd?.media.findIndex((m) => m.media === 'audio' && m.port !== 0) ?? -1;
    const format = sd === undefined ? undefined : g711Format(sd, index);
    if (format === undefined || this.#closed) return () => {};
    const stream = await this.#stream(index);
    const facing = side === 'a' ? stream.a : stream.b;
    // Neither direction is forwarded while parked: the parker's late packets must not reach the parked party.
    stream.a.onPacket(() => {});
    stream.b.onPacket(() => {});
    const player = new RtpPlayer({ clock: this.#o.clock, law: format.law, payloadType: format.payloadType, send: (p) => facing.send(p) });
    const looping = new LoopingPlayer(player, this.#o.clock, this.#o.musicOnHold ?? PARK_TONE);
    looping.start();
    const stop = (): void => {
      if (!this.#parkMusic.delete(stop)) return;
      looping.close();
      stream.session.rejoin();
    };
    this.#parkMusic.add(stop);
    return stop;
  }

  async listenerLeg(offer: Buffer): Promise<ListenerLeg> {
    const sd = parseSdp(offer);
    const index = sd.media.findIndex((m) => m.media === 'audio' && m.port !== 0);
    const leg = await openUdpRelayLeg(this.#o.pool, this.#o.bind, { clock: this.#o.clock });
    // A listener's own packets (RTCP, or RTP against its recvonly) go nowhere.
    leg.onPacket(() => {});
    this.#listeners.add(leg);
    if (this.#closed) this.#closeListener(leg);
    const out = rewriteSdp(sd, {
      media: sd.media.map((_m, i) => (i === index ? this.#anchor(leg) : undefined)), sessionAddress: this.#o.address, origin: { username: '-', address: this.#o.address },
    });
    return {
      offer: Buffer.from(serializeSdp(out)),
      answered: (sdp, signalingAddress) => {
        const answer = parseSdp(sdp);
        const m = answer.media[index];
        if (m !== undefined && m.port !== 0) leg.setRemote(remoteOf(answer, index, m, signalingAddress));
      },
      send: (packet) => leg.send(packet),
      close: () => this.#closeListener(leg),
    };
  }

  #closeListener(leg: UdpRelayLeg): void {
    if (this.#listeners.delete(leg)) void leg.close();
  }

  async #relay(sdp: Buffer, from: 'a' | 'b', signalingAddress: string | undefined): Promise<Buffer> {
    if (sdp.length === 0) return sdp;
    const sd = parseSdp(sdp);
    if (from === 'a') this.#lastOffer = sd;
    const anchors: (SdpAnchor | undefined)[] = [];
    for (const [i, m] of sd.media.entries()) {
      if (m.port === 0) {
        anchors.push(undefined);
        continue;
      }
      const stream = await this.#stream(i);
      (from === 'a' ? stream.a : stream.b).setRemote(remoteOf(sd, i, m, signalingAddress));
      stream.session.setClockRates(clockRates(m));
      const music = this.#holdMusic?.update(from, i, sd, from === 'a' ? stream.b : stream.a);
      // RFC 3264 §8.4: a sendonly holder may go on sending (its own music, comfort noise); with
      // ours playing, a second SSRC would interleave with it, so the holder's packets are dropped
      // until it resumes. The other direction goes on being relayed.
      if (music === 'started') (from === 'a' ? stream.a : stream.b).onPacket(() => {});
      else if (music === 'stopped') stream.session.rejoin();
      // The other side sends to the leg that faces it.
      anchors.push(this.#anchor(from === 'a' ? stream.b : stream.a));
    }
    return Buffer.from(serializeSdp(this.#rewrite(sd, anchors, from === 'a' ? 'toB' : 'toA')));
  }

  #anchor(leg: UdpRelayLeg): SdpAnchor {
    const { rtp, rtcp } = leg.local;
    return { address: this.#o.address, port: rtp.port, ...(rtcp === undefined ? {} : { rtcpPort: rtcp.port }) };
  }

  #rewrite(sd: SessionDescription, media: (SdpAnchor | undefined)[], to: 'toA' | 'toB'): SessionDescription {
    const previous = this.#sent[to];
    const out = rewriteSdp(sd, {
      media,
      sessionAddress: this.#o.address,
      origin: { username: '-', address: this.#o.address },
      ...(previous === undefined ? {} : { previous }),
    });
    this.#sent[to] = out;
    return out;
  }

  #stream(index: number): Promise<Stream> {
    let stream = this.#streams.get(index);
    if (stream === undefined) {
      stream = this.#openStream();
      this.#streams.set(index, stream);
    }
    return stream;
  }

  async #openStream(): Promise<Stream> {
    const { clock, pool, bind } = this.#o;
    const a = await openUdpRelayLeg(pool, bind, { clock });
    let b: UdpRelayLeg;
    try {
      b = await openUdpRelayLeg(pool, bind, { clock });
    } catch (error) {
      await a.close();
      throw error;
    }
    const session = new MediaSession({ clock, a, b, oneWayAudio: false });
    session.start();
    // Closed while the sockets were being bound: release them at once.
    if (this.#closed) session.close();
    return { a, b, session };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#holdMusic?.close();
    for (const stop of [...this.#parkMusic]) stop();
    for (const leg of [...this.#listeners]) this.#closeListener(leg);
    for (const stream of this.#streams.values()) void stream.then((s) => s.session.close(), () => {});
  }
}

/** The MediaAnchor over src/media: UDP relay legs from a port pool, on one address. */
export class UdpMediaAnchor implements MediaAnchor {
  readonly #o: UdpMediaAnchorOptions;

  constructor(options: UdpMediaAnchorOptions) {
    this.#o = options;
  }

  open(_callId: string): CallMediaBridge {
    return new UdpCallMedia(this.#o);
  }
}
