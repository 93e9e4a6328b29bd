/**
 * Media anchoring for one side of the call path (agent or hub). Every media section of every
 * call leg gets a UDP relay leg toward the edge (the phones for the agent, the PBX for the hub)
 * and a tunnel datagram channel toward the other side; a MediaSession joins them, with RFC 3550
 * statistics and the one-way-audio detector. On the tunnel hop each media section names its
 * channel in `a=x-sbc-channel:<id>`; the side that first sends a section opens the channel.
 *
 * Local media (agent only): when two legs of the same Call-ID sit on this side (a phone calling a
 * phone of the same branch through the PBX), their relay legs are joined to each other and RTP
 * never enters the tunnel.
 */
import type { Clock } from '../core/index.js';
import { MediaSession, type MediaEndpoint, type MediaSessionStats, type RemoteMedia, type UdpRelayLeg } from '../media/index.js';
import {
  clockRates, mediaConnection, mediaDirection, rewriteSdp, rtcpAttribute, type MediaAnchor, type SdpMedia, type SessionDescription,
} from '../sdp/index.js';
import type { TunnelChannel } from '../tunnel/index.js';

export const CHANNEL_ATTRIBUTE = 'x-sbc-channel';

/** Where channels come from: the tunnel session of the peer this call leg uses. */
export interface ChannelSource {
  open(label: string): TunnelChannel | undefined;
  get(id: number): TunnelChannel | undefined;
}

export interface CallMediaOptions {
  readonly clock: Clock;
  /** Opens a relay leg toward the edge. */
  readonly openLeg: () => Promise<UdpRelayLeg>;
  /** The address written in SDP toward the edge (c= and o=). */
  readonly edgeAddress: string;
  /** Join two legs of one Call-ID locally (the agent). */
  readonly localBridging: boolean;
  /** One-way-audio threshold; default 5000 ms. */
  readonly oneWayAfterMs?: number;
}

/** An endpoint lent to a MediaSession: closing the session must not close what it borrowed. */
function borrowed(endpoint: MediaEndpoint): MediaEndpoint {
  return { send: (p) => endpoint.send(p), onPacket: (h) => endpoint.onPacket(h), close: () => {} };
}

function channelEndpoint(channel: TunnelChannel): MediaEndpoint {
  let handler: (packet: Buffer) => void = () => {};
  channel.on('datagram', (d) => handler(d));
  return { send: (p) => void channel.send(p), onPacket: (h) => { handler = h; }, close: () => {} };
}

class StreamMedia {
  channel: TunnelChannel | undefined;
  session: MediaSession | undefined;
  partner: StreamMedia | undefined;
  rates: Map<number, number> = new Map();
  constructor(readonly leg: UdpRelayLeg) {}
}

export interface CallLegInfo {
  readonly key: string;
  readonly callId: string;
  readonly createdAt: number;
  readonly streams: readonly { readonly index: number; readonly local: boolean; readonly channel: number | undefined; readonly edgePort: number; readonly stats: MediaSessionStats | undefined }[];
}

class CallLeg {
  readonly streams: Promise<StreamMedia>[] = [];
  readonly previous: { toEdge?: SessionDescription; toTunnel?: SessionDescription } = {};
  constructor(readonly key: string, readonly callId: string, readonly createdAt: number) {}
}

export class CallMedia {
  readonly #o: CallMediaOptions;
  readonly #legs = new Map<string, CallLeg>();
  #closed = false;

  constructor(options: CallMediaOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#legs.size;
  }

  #leg(callId: string, tag: string): CallLeg {
    const key = `${callId}\u0000${tag}`;
    let leg = this.#legs.get(key);
    if (leg === undefined) {
      leg = new CallLeg(key, callId, this.#o.clock.now());
      this.#legs.set(key, leg);
    }
    return leg;
  }

  #partnerOf(leg: CallLeg): CallLeg | undefined {
    if (!this.#o.localBridging) return undefined;
    for (const other of this.#legs.values()) if (other !== leg && other.callId === leg.callId) return other;
    return undefined;
  }

  async #stream(leg: CallLeg, index: number): Promise<StreamMedia> {
    let p = leg.streams[index];
    if (p === undefined) {
      p = this.#o.openLeg().then((l) => new StreamMedia(l));
      leg.streams[index] = p;
    }
    return p;
  }

  /** (Re)joins a stream: to its local partner when there is one, else to its channel. */
  #join(stream: StreamMedia): void {
    const partner = stream.partner;
    const b = partner !== undefined ? partner.leg : stream.channel === undefined ? undefined : channelEndpoint(stream.channel);
    stream.session?.close();
    stream.session = undefined;
    if (partner !== undefined) {
      // One session carries both directions of a local pair; the partner keeps none of its own.
      // Closed first: closing resets the handlers of the legs it borrowed.
      partner.session?.close();
      partner.session = undefined;
    }
    if (b === undefined) return;
    const session = new MediaSession({
      clock: this.#o.clock,
      a: borrowed(stream.leg),
      b: borrowed(b),
      clockRates: stream.rates,
      oneWayAudio: { silenceMs: this.#o.oneWayAfterMs ?? 5000 },
    });
    session.start();
    stream.session = session;
  }

  async #bridgeLocal(leg: CallLeg, index: number, stream: StreamMedia): Promise<void> {
    const partnerLeg = this.#partnerOf(leg);
    const partnerStream = partnerLeg?.streams[index] === undefined ? undefined : await partnerLeg.streams[index];
    if (partnerStream === undefined || stream.partner === partnerStream) return;
    stream.partner = partnerStream;
    partnerStream.partner = stream;
    this.#join(stream);
  }

  #remoteOf(sd: SessionDescription, index: number, m: SdpMedia, signalingAddress: string | undefined): RemoteMedia {
    const c = mediaConnection(sd, index);
    const rtcp = rtcpAttribute(m);
    return {
      address: c?.address.split('/')[0] ?? '0.0.0.0',
      port: m.port,
      ...(rtcp === undefined ? {} : { rtcpPort: rtcp.port }),
      rtcpMux: m.attributes.some((a) => a.name === 'rtcp-mux'),
      ...(signalingAddress === undefined ? {} : { signalingAddress }),
    };
  }

  #expect(stream: StreamMedia, sd: SessionDescription, index: number, fromEdge: boolean): void {
    const session = stream.session;
    if (session === undefined) return;
    const dir = mediaDirection(sd, index);
    // The edge's description says what the edge sends (a→b) and what it wants to receive (b→a).
    const edgeSends = dir === 'sendrecv' || dir === 'sendonly';
    const edgeReceives = dir === 'sendrecv' || dir === 'recvonly';
    session.setExpected(fromEdge ? 'a-to-b' : 'b-to-a', fromEdge ? edgeSends : edgeReceives);
    session.setExpected(fromEdge ? 'b-to-a' : 'a-to-b', fromEdge ? edgeReceives : edgeSends);
  }

  /**
   * A description written by the edge party (phone or PBX), on its way into the tunnel: learn
   * where the edge receives, make sure each section has a channel, name it.
   */
  async fromEdge(callId: string, tag: string, sd: SessionDescription, channels: ChannelSource, signalingAddress?: string): Promise<SessionDescription> {
    const leg = this.#leg(callId, tag);
    const anchors: (MediaAnchor | undefined)[] = [];
    const media: SdpMedia[] = [];
    for (const [i, m] of sd.media.entries()) {
      if (m.port === 0) {
        anchors.push(undefined);
        media.push(m);
        continue;
      }
      const stream = await this.#stream(leg, i);
      stream.leg.setRemote(this.#remoteOf(sd, i, m, signalingAddress));
      stream.rates = clockRates(m);
      stream.session?.setClockRates(stream.rates);
      if (stream.channel === undefined || stream.channel.closed) {
        stream.channel = channels.open(`${callId}/${i}`);
        if (stream.partner === undefined) this.#join(stream);
      }
      await this.#bridgeLocal(leg, i, stream);
      this.#expect(stream, sd, i, true);
      anchors.push({ address: this.#o.edgeAddress, port: stream.leg.local.rtp.port });
      const id = stream.channel?.id;
      media.push(id === undefined ? m : { ...m, attributes: [...m.attributes.filter((a) => a.name !== CHANNEL_ATTRIBUTE), { name: CHANNEL_ATTRIBUTE, value: String(id) }] });
    }
    const out = rewriteSdp({ ...sd, media }, this.#plan(anchors, leg.previous.toTunnel));
    leg.previous.toTunnel = out;
    return out;
  }

  /** A description from the other side of the tunnel, on its way to the edge: anchor it on our relay legs. */
  async toEdge(callId: string, tag: string, sd: SessionDescription, channels: ChannelSource): Promise<SessionDescription> {
    const leg = this.#leg(callId, tag);
    const anchors: (MediaAnchor | undefined)[] = [];
    const media: SdpMedia[] = [];
    for (const [i, m] of sd.media.entries()) {
      const named = m.attributes.find((a) => a.name === CHANNEL_ATTRIBUTE)?.value;
      const clean = { ...m, attributes: m.attributes.filter((a) => a.name !== CHANNEL_ATTRIBUTE) };
      media.push(clean);
      if (m.port === 0) {
        anchors.push(undefined);
        continue;
      }
      const stream = await this.#stream(leg, i);
      const id = named === undefined ? undefined : Number(named);
      if (id !== undefined && stream.channel?.id !== id) {
        const channel = channels.get(id);
        if (channel !== undefined) {
          stream.channel = channel;
          if (stream.partner === undefined) this.#join(stream);
        }
      }
      stream.rates = clockRates(m);
      stream.session?.setClockRates(stream.rates);
      await this.#bridgeLocal(leg, i, stream);
      this.#expect(stream, sd, i, false);
      const local = stream.leg.local;
      anchors.push({ address: this.#o.edgeAddress, port: local.rtp.port, ...(local.rtcp === undefined ? {} : { rtcpPort: local.rtcp.port }) });
    }
    const out = rewriteSdp({ ...sd, media }, this.#plan(anchors, leg.previous.toEdge));
    leg.previous.toEdge = out;
    return out;
  }

  #plan(media: (MediaAnchor | undefined)[], previous: SessionDescription | undefined): Parameters<typeof rewriteSdp>[1] {
    return {
      media,
      sessionAddress: this.#o.edgeAddress,
      origin: { username: '-', address: this.#o.edgeAddress },
      ...(previous === undefined ? {} : { previous }),
    };
  }

  /**
   * Ends the media of one call leg (BYE, a failed INVITE, CANCEL). `afterMs` keeps it for a while:
   * after a BYE the far end's last packets are still in flight.
   */
  release(callId: string, tag: string | undefined, afterMs = 0): void {
    if (afterMs > 0) {
      this.#o.clock.setTimeout(() => this.release(callId, tag), afterMs);
      return;
    }
    for (const [key, leg] of [...this.#legs]) {
      if (leg.callId !== callId || (tag !== undefined && key !== `${callId}\u0000${tag}`)) continue;
      this.#legs.delete(key);
      for (const p of leg.streams) {
        void p.then((s) => {
          s.session?.close();
          if (s.partner !== undefined) {
            s.partner.partner = undefined;
            this.#join(s.partner);
          }
          s.channel?.close();
          s.leg.close();
        }, () => {});
      }
    }
  }

  /** Moves the media of a leg keyed by a provisional tag to its dialog tag (the callee's To tag). */
  rekey(callId: string, from: string, to: string): void {
    const leg = this.#legs.get(`${callId}\u0000${from}`);
    if (leg === undefined || this.#legs.has(`${callId}\u0000${to}`)) return;
    this.#legs.delete(leg.key);
    const moved = Object.assign(new CallLeg(`${callId}\u0000${to}`, callId, leg.createdAt), { streams: leg.streams, previous: leg.previous });
    this.#legs.set(moved.key, moved);
  }

  async list(): Promise<CallLegInfo[]> {
    const out: CallLegInfo[] = [];
    for (const leg of this.#legs.values()) {
      const streams = [];
      for (const [index, p] of leg.streams.entries()) {
        if (p === undefined) continue;
        const s = await p;
        const session = s.session ?? s.partner?.session;
        streams.push({ index, local: s.partner !== undefined, channel: s.channel?.id, edgePort: s.leg.local.rtp.port, stats: session?.stats() });
      }
      out.push({ key: leg.key, callId: leg.callId, createdAt: leg.createdAt, streams });
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const leg of [...this.#legs.values()]) this.release(leg.callId, undefined);
  }
}
