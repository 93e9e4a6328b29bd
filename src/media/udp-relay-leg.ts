/**
 * A relay leg on UDP: the relay's RTP socket (and RTCP socket, the next port) toward one
 * endpoint (a phone, a PBX), with symmetric latching (see latch.ts for the rule).
 * Implements MediaEndpoint: packets received from the endpoint go to the handler; packets
 * given to send() go to the endpoint, RTCP out of the RTCP socket unless rtcp-mux is in use.
 */
import { TypedEmitter, type Clock } from '../core/index.js';
import type { DatagramSocket, SocketAddress } from '../net/index.js';
import { isRtcpPacket } from '../rtp/index.js';
import { Latch, latchRuleFor, type LatchRule, type LatchTarget } from './latch.js';
import type { MediaEndpoint } from './media-endpoint.js';

/** What the endpoint's SDP says about where it receives, plus what SIP tells about it. */
export interface RemoteMedia {
  /** c= address of the endpoint's media section. */
  readonly address: string;
  /** m= port. */
  readonly port: number;
  /** a=rtcp port (RFC 3605); default port + 1. */
  readonly rtcpPort?: number;
  /** a=rtcp-mux accepted (RFC 5761): RTCP to and from the RTP port. */
  readonly rtcpMux?: boolean;
  /** The source IP of the endpoint's SIP messages (after rport): also accepted by the 'sdp-ip' rule. */
  readonly signalingAddress?: string;
  /** Overrides the default rule (latchRuleFor). */
  readonly latch?: LatchRule;
}

export interface UdpRelayLegOptions {
  readonly rtp: DatagramSocket;
  /** Absent when only rtcp-mux is offered. */
  readonly rtcp?: DatagramSocket;
  readonly clock: Clock;
  readonly remote?: RemoteMedia;
  /** A latched source silent this long may be replaced (NAT rebinding). Default 5000 ms. */
  readonly relatchAfterMs?: number;
  /** Called once after the sockets are closed (returns ports to a PortPool). */
  readonly onClosed?: () => void;
  readonly onListenerError?: (event: string, error: unknown) => void;
}

export interface UdpRelayLegEvents extends Record<string, unknown> {
  latched: { readonly kind: 'rtp' | 'rtcp'; readonly address: string; readonly port: number; readonly at: number };
  error: Error;
}

export interface UdpRelayLegCounters {
  /** Packets from sources the latch rule refused. */
  readonly rejected: number;
  /** Packets given to send() with nowhere to send them yet. */
  readonly unsent: number;
}

export class UdpRelayLeg implements MediaEndpoint {
  readonly events: TypedEmitter<UdpRelayLegEvents>;
  readonly #rtp: DatagramSocket;
  readonly #rtcp: DatagramSocket | undefined;
  readonly #clock: Clock;
  readonly #relatchAfterMs: number;
  readonly #onClosed: (() => void) | undefined;
  #remote: RemoteMedia | undefined;
  #rtpLatch: Latch;
  #rtcpLatch: Latch;
  #handler: (packet: Buffer) => void = () => {};
  #rejected = 0;
  #unsent = 0;
  #closed: Promise<void> | undefined;

  constructor(options: UdpRelayLegOptions) {
    this.#rtp = options.rtp;
    this.#rtcp = options.rtcp;
    this.#clock = options.clock;
    this.#relatchAfterMs = options.relatchAfterMs ?? 5000;
    this.#onClosed = options.onClosed;
    this.events = new TypedEmitter<UdpRelayLegEvents>(options.onListenerError);
    this.#remote = options.remote;
    [this.#rtpLatch, this.#rtcpLatch] = this.#latches(options.remote);
    this.#rtp.onMessage((data, from) => this.#receive(data, from, 'rtp'));
    this.#rtp.onError((error) => this.events.emit('error', error));
    this.#rtcp?.onMessage((data, from) => this.#receive(data, from, 'rtcp'));
    this.#rtcp?.onError((error) => this.events.emit('error', error));
  }

  /** The relay's own RTP and RTCP addresses (what goes into the rewritten SDP). */
  get local(): { readonly rtp: SocketAddress; readonly rtcp: SocketAddress | undefined } {
    return { rtp: this.#rtp.local, rtcp: this.#rtcp?.local };
  }

  get remote(): RemoteMedia | undefined {
    return this.#remote;
  }

  get latchRule(): LatchRule | undefined {
    return this.#remote === undefined ? undefined : this.#rtpLatch.rule;
  }

  /** Where RTP goes now: the latched source, or the SDP address before the latch. */
  get rtpTarget(): LatchTarget | undefined {
    return this.#rtpLatch.target;
  }

  get rtcpTarget(): LatchTarget | undefined {
    return this.#remote?.rtcpMux === true ? this.#rtpLatch.target : this.#rtcpLatch.target;
  }

  get counters(): UdpRelayLegCounters {
    return { rejected: this.#rejected, unsent: this.#unsent };
  }

  /** A new offer or answer from the endpoint: learn its address again (re-INVITE, transfer). */
  setRemote(remote: RemoteMedia): void {
    this.#remote = remote;
    [this.#rtpLatch, this.#rtcpLatch] = this.#latches(remote);
  }

  #latches(remote: RemoteMedia | undefined): [Latch, Latch] {
    if (remote === undefined) {
      // Nothing known yet: no target, and no source passes 'sdp-ip' without an address.
      return [new Latch(undefined, 'sdp-ip', undefined, this.#relatchAfterMs), new Latch(undefined, 'sdp-ip', undefined, this.#relatchAfterMs)];
    }
    const rule = remote.latch ?? latchRuleFor(remote.address, remote.signalingAddress);
    const rtcpPort = remote.port === 0 ? 0 : (remote.rtcpPort ?? remote.port + 1);
    return [
      new Latch({ address: remote.address, port: remote.port }, rule, remote.signalingAddress, this.#relatchAfterMs),
      new Latch({ address: remote.address, port: rtcpPort }, rule, remote.signalingAddress, this.#relatchAfterMs),
    ];
  }

  #receive(data: Buffer, from: SocketAddress, socket: 'rtp' | 'rtcp'): void {
    if (this.#closed !== undefined) return;
    // With rtcp-mux, RTCP arrives on the RTP port and shares its latch.
    const latch = socket === 'rtcp' ? this.#rtcpLatch : this.#rtpLatch;
    const now = this.#clock.now();
    const verdict = latch.accept(from, now);
    if (verdict === 'rejected') {
      this.#rejected++;
      return;
    }
    if (verdict === 'latched') this.events.emit('latched', { kind: socket, address: from.address, port: from.port, at: now });
    this.#handler(data);
  }

  send(packet: Buffer): void {
    if (this.#closed !== undefined) return;
    const rtcp = isRtcpPacket(packet);
    const viaRtcpSocket = rtcp && this.#rtcp !== undefined && this.#remote?.rtcpMux !== true;
    const target = rtcp ? this.rtcpTarget : this.#rtpLatch.target;
    if (target === undefined) {
      this.#unsent++;
      return;
    }
    (viaRtcpSocket ? (this.#rtcp ?? this.#rtp) : this.#rtp).send(packet, target.port, target.address);
  }

  onPacket(handler: (packet: Buffer) => void): void {
    this.#handler = handler;
  }

  /** Closes both sockets; the promise resolves when they are closed (MediaEndpoint callers may ignore it). */
  close(): Promise<void> {
    return this.closed();
  }

  /** Closes both sockets; resolves when they are closed. Idempotent. */
  closed(): Promise<void> {
    this.#closed ??= Promise.all([this.#rtp.close(), this.#rtcp?.close()]).then(() => {
      this.events.removeAllListeners();
      this.#onClosed?.();
    });
    return this.#closed;
  }
}
