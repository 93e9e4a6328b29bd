/**
 * A tunnel session (PROTOCOL.md): streams, datagram channels and control over a Link that may be
 * replaced (resume). Writes follow the priority of PROTOCOL.md "Priority": control, then
 * datagrams, then bulk (stream DATA, CONFIG), many frames per carriage write.
 */
import { TypedEmitter, type Clock, type Logger } from '../core/index.js';
import type { TunnelPeer } from '../net/index.js';
import { TunnelChannel, DEFAULT_CHANNEL_QUEUE, type ChannelHost } from './channel.js';
import { ConfigAssembler, chunkConfig, MAX_CONFIG_BYTES } from './config-transfer.js';
import { decodeGoAway, decodeLabel, decodePing, decodeWindowUpdate, MAX_LABEL_BYTES, type GoAway, type StreamPosition } from './control.js';
import { GoAwayReason, TunnelProtocolError, type GoAwayReasonCode } from './errors.js';
import { Flag, FrameType, PROTOCOL_VERSION, type Frame } from './frame.js';
import type { Link, LinkCounters } from './link.js';
import { KeepAlive } from './keepalive.js';
import { SendScheduler } from './scheduler.js';
import { AcceptQueue } from './accept-queue.js';
import { SessionTable } from './session-table.js';
import { TunnelStream, type StreamHost } from './stream.js';
import type { DisconnectReason, SessionCloseInfo, SessionEvents, SessionOptions, SessionRole, SessionState } from './session-types.js';
import type { TunnelStats } from './stats.js';

export class TunnelSession extends TypedEmitter<SessionEvents> implements StreamHost, ChannelHost {
  readonly role: SessionRole;
  readonly #clock: Clock;
  readonly #channelQueue: number;
  readonly #batchBytes: number;
  readonly #logger: Logger | undefined;
  readonly #config: ConfigAssembler;
  readonly #table: SessionTable;
  readonly #counters: LinkCounters = { sent: { bytes: 0, frames: 0 }, received: { bytes: 0, frames: 0 } };
  #state: SessionState = 'handshaking';
  #link: Link | undefined;
  #lastPeer: TunnelPeer | undefined;
  #nextConfigId = 1;
  readonly #send = new SendScheduler();
  readonly #accept = new AcceptQueue<TunnelStream>();
  #flushScheduled = false;
  readonly #keepAlive: KeepAlive;
  #connectedAt = 0;
  readonly #createdAt: number;
  #rttMs: number | undefined;
  #resumes = 0;
  /** Set by the handshake. */
  version = PROTOCOL_VERSION;
  resumeToken: Buffer = Buffer.alloc(0);
  resumeWindowMs = 0;
  peerIdentity = '';
  /** Count of reconnections, kept by the client. */
  reconnects = 0;

  constructor(role: SessionRole, clock: Clock, options: SessionOptions = {}) {
    super((event, error) => options.logger?.warn({ event, err: error }, 'tunnel listener failed'));
    this.role = role;
    this.#clock = clock;
    this.#channelQueue = options.channelQueue ?? DEFAULT_CHANNEL_QUEUE;
    this.#batchBytes = options.batchBytes ?? 65_536;
    this.#table = new SessionTable(role, options.maxStreams ?? 4096, options.maxChannels ?? 4096);
    this.#logger = options.logger;
    this.#config = new ConfigAssembler(options.maxConfigBytes ?? MAX_CONFIG_BYTES);
    this.#createdAt = clock.now();
    this.#keepAlive = new KeepAlive(clock, options.pingIntervalMs ?? 1000, options.deadAfterMs ?? 3000, () => this.#onPingTick(), () => this.#detach('dead', undefined));
  }

  get state(): SessionState {
    return this.#state;
  }

  get streams(): ReadonlyMap<number, TunnelStream> {
    return this.#table.streams;
  }

  get channels(): ReadonlyMap<number, TunnelChannel> {
    return this.#table.channels;
  }

  /** This side's stream positions, for RESUME (PROTOCOL.md "Resume"). */
  positions(): StreamPosition[] {
    return this.#table.positions();
  }

  openStream(): TunnelStream {
    this.#assertUsable();
    const stream = new TunnelStream(this.#table.takeId(), this, (e, err) => this.#logger?.warn({ event: e, err }, 'stream listener failed'), true);
    this.#table.streams.set(stream.id, stream);
    return stream;
  }

  /** The next stream the peer opens (for callers that do not listen to `stream`). */
  acceptStream(): Promise<TunnelStream> {
    return this.#accept.take();
  }

  openChannel(label = ''): TunnelChannel {
    this.#assertUsable();
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length > MAX_LABEL_BYTES) throw new RangeError(`channel label above ${MAX_LABEL_BYTES} bytes`);
    const channel = this.#newChannel(this.#table.takeId(), label);
    this.#queueControl(FrameType.DATAGRAM, Flag.SYN, channel.id, bytes);
    return channel;
  }

  /** Sends one datagram on a channel; false if the channel is unknown or closed. */
  sendDatagram(channelId: number, datagram: Buffer): boolean {
    return this.#table.channels.get(channelId)?.send(datagram) ?? false;
  }

  /** Queues a config snapshot (PROTOCOL.md "Config push"); returns its transfer ID. */
  pushConfig(data: Buffer): number {
    this.#assertUsable();
    const id = this.#nextConfigId++;
    this.#send.config(chunkConfig(id, data, this.version));
    this.#scheduleFlush();
    return id;
  }

  #assertUsable(): void {
    if (this.#state === 'closed') throw new TunnelProtocolError(GoAwayReason.INTERNAL_ERROR, 'session closed');
  }

  #newChannel(id: number, label: string): TunnelChannel {
    const channel = new TunnelChannel(id, label, this.#channelQueue, this, (e, err) => this.#logger?.warn({ event: e, err }, 'channel listener failed'));
    this.#table.channels.set(id, channel);
    return channel;
  }

  /**
   * The peer the session is about to be attached to, known before `attach()`: listeners of the
   * server's `session` event (run before the link is attached) can then read its certificate in
   * stats() (the hub names the SBC by it when it pushes the branch's routing snapshot).
   */
  notePeer(peer: TunnelPeer): void {
    this.#lastPeer = peer;
  }

  /** Hands a handshaken link to the session; `peerPositions` when the session is resumed. */
  attach(link: Link, peerPositions?: readonly StreamPosition[]): void {
    if (this.#state === 'closed') {
      link.goAway({ reason: GoAwayReason.RESUME_REJECTED, message: 'session closed' });
      return;
    }
    if (this.#link !== undefined) this.#detach('replaced', undefined);
    this.#link = link;
    this.#lastPeer = link.peer;
    link.version = this.version;
    link.use({
      frame: (f) => this.#onFrame(f),
      alive: () => this.#keepAlive.alive(),
      protocolError: (e) => this.#fail(e),
      drain: () => this.#flush(),
      lost: (error) => this.#detach('lost', error),
    }, this.#counters);
    const resumed = peerPositions !== undefined;
    if (resumed) this.#resume(peerPositions);
    this.#state = 'open';
    this.#connectedAt = this.#clock.now();
    this.#keepAlive.start();
    this.emit('open', { resumed });
    this.#scheduleFlush();
  }

  /** PROTOCOL.md "Resume": retransmit what the peer lacks; keep channels. */
  #resume(peerPositions: readonly StreamPosition[]): void {
    this.#resumes++;
    for (const channel of this.#table.resume(peerPositions)) {
      this.#queueControl(FrameType.DATAGRAM, Flag.SYN, channel.id, Buffer.from(channel.label, 'utf8'));
    }
  }

  #detach(reason: DisconnectReason, error: Error | undefined): void {
    const link = this.#link;
    if (link === undefined) return;
    this.#link = undefined;
    this.#keepAlive.stop();
    link.abort();
    this.#send.dropUnsent();
    this.#config.reset();
    for (const c of this.#table.channels.values()) c.discardQueued();
    if (this.#state === 'closed') return;
    this.#state = 'disconnected';
    this.#logger?.info({ reason, err: error }, 'tunnel path lost');
    this.emit('disconnected', { reason, error });
  }

  /** A malformed frame or payload: go-away with the error's reason, then the session ends. */
  #fail(error: TunnelProtocolError): void {
    this.#logger?.warn({ err: error }, 'tunnel protocol error');
    this.close(error.reason, error.message);
  }

  /** Ends the session with GO_AWAY(reason) to the peer. Idempotent; cascades to streams and channels. */
  close(reason: GoAwayReasonCode = GoAwayReason.NORMAL, message = ''): void {
    this.#end({ reason, message, byPeer: false });
  }

  #end(info: SessionCloseInfo): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const link = this.#link;
    this.#link = undefined;
    this.#keepAlive.stop();
    if (link !== undefined) {
      if (info.byPeer) link.close();
      else link.goAway({ reason: info.reason, message: info.message });
    }
    for (const s of [...this.#table.streams.values()]) s.abandon(true);
    for (const c of [...this.#table.channels.values()]) c.abandon();
    this.#send.dropUnsent();
    this.#accept.close(new TunnelProtocolError(info.reason, `session closed: ${info.message}`));
    this.emit('close', info);
    this.removeAllListeners();
  }

  /** The session ends because the peer refused to resume it (PROTOCOL.md "Resume"). */
  reject(reason: GoAwayReasonCode, message: string): void {
    this.#end({ reason, message, byPeer: true });
  }

  #onPingTick(): void {
    const payload = Buffer.allocUnsafe(8);
    payload.writeBigUInt64BE(BigInt(Math.round(this.#clock.now() * 1000)));
    this.#queueControl(FrameType.PING, Flag.SYN, 0, payload);
    for (const s of this.#table.streams.values()) if (s.ackOwed) this.#send.ackOwed(s);
  }

  #onFrame(f: Frame): void {
    try {
      this.#dispatch(f);
    } catch (error) {
      if (!(error instanceof TunnelProtocolError)) throw error;
      this.#fail(error);
    }
  }

  #dispatch(f: Frame): void {
    switch (f.type) {
      case FrameType.DATA:
        return this.#onStreamData(f);
      case FrameType.WINDOW_UPDATE: {
        const stream = this.#table.streams.get(f.id);
        if (stream === undefined) return;
        if ((f.flags & Flag.RST) !== 0) return stream.abandon(true);
        const u = decodeWindowUpdate(f.payload);
        return stream.onWindowUpdate(u.delta, u.ackSeq);
      }
      case FrameType.DATAGRAM:
        return this.#onDatagram(f);
      case FrameType.PING: {
        const opaque = decodePing(f.payload);
        if ((f.flags & Flag.ACK) !== 0) {
          this.#rttMs = Math.max(0, (this.#clock.now() * 1000 - Number(opaque.readBigUInt64BE(0))) / 1000);
        } else {
          this.#queueControl(FrameType.PING, Flag.ACK, 0, Buffer.from(opaque));
        }
        return;
      }
      case FrameType.CONFIG: {
        const done = this.#config.push(f);
        if (done !== undefined) this.emit('config', done);
        return;
      }
      case FrameType.GO_AWAY: {
        const g: GoAway = decodeGoAway(f.payload);
        return this.#end({ reason: g.reason, message: g.message, byPeer: true });
      }
      case FrameType.HELLO:
      case FrameType.RESUME:
        throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, 'handshake frame after the handshake');
    }
  }

  #onStreamData(f: Frame): void {
    let stream = this.#table.streams.get(f.id);
    if (stream === undefined) {
      if ((f.flags & Flag.SYN) === 0) return; // late frame of a stream already reset or finished
      if (!this.#table.isPeerId(f.id)) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `SYN for stream ${f.id} with the wrong parity`);
      if (!this.#table.admitPeerStream(f.id)) return this.#queueControl(FrameType.DATA, Flag.RST, f.id, Buffer.alloc(0));
      stream = new TunnelStream(f.id, this, (e, err) => this.#logger?.warn({ event: e, err }, 'stream listener failed'), false);
      this.#table.streams.set(f.id, stream);
      const listened = this.listenerCount('stream') > 0;
      this.emit('stream', stream);
      this.#accept.offer(stream, listened);
    } else if ((f.flags & Flag.SYN) !== 0) {
      throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `SYN for open stream ${f.id}`);
    }
    if (!stream.onData(f.flags, f.payload)) {
      throw new TunnelProtocolError(GoAwayReason.FLOW_CONTROL_ERROR, `stream ${f.id} data beyond its window`);
    }
  }

  #onDatagram(f: Frame): void {
    if ((f.flags & Flag.SYN) !== 0) {
      if (!this.#table.isPeerId(f.id)) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `channel ${f.id} with the wrong parity`);
      const label = decodeLabel(f.payload);
      // A SYN for an open channel is a resend after a resume: acknowledge it again.
      if (!this.#table.channels.has(f.id)) {
        if (this.#table.channelsFull) return this.#queueControl(FrameType.DATAGRAM, Flag.FIN, f.id, Buffer.alloc(0));
        this.emit('channel', this.#newChannel(f.id, label));
      }
      this.#queueControl(FrameType.DATAGRAM, Flag.ACK, f.id, Buffer.alloc(0));
      return;
    }
    const channel = this.#table.channels.get(f.id);
    if (channel === undefined) {
      this.#table.countUnknownChannel();
      return;
    }
    if ((f.flags & Flag.ACK) !== 0) channel.acknowledged = true;
    else if ((f.flags & Flag.FIN) !== 0) channel.abandon();
    else channel.onDatagram(f.payload);
  }

  #queueControl(type: Frame['type'], flags: number, id: number, payload: Buffer): void {
    this.#send.control({ version: this.version, type, flags, id, payload });
    this.#scheduleFlush();
  }

  // StreamHost and ChannelHost: the narrow interface streams and channels see.
  streamReady(stream: TunnelStream): void {
    this.#send.streamReady(stream);
    this.#scheduleFlush();
  }

  streamAck(stream: TunnelStream): void {
    this.#send.ackOwed(stream);
    this.#scheduleFlush();
  }

  streamReset(stream: TunnelStream): void {
    this.#queueControl(FrameType.DATA, Flag.RST, stream.id, Buffer.alloc(0));
  }

  streamClosed(stream: TunnelStream): void {
    this.#table.streams.delete(stream.id);
    this.#send.forgetStream(stream);
  }

  channelReady(channel: TunnelChannel): void {
    // PROTOCOL.md "Datagram channels": no path, no queueing; the datagram is dropped and counted.
    if (this.#state !== 'open') return channel.discardQueued();
    this.#send.channelReady(channel);
    this.#scheduleFlush();
  }

  channelClosed(channel: TunnelChannel, notifyPeer: boolean): void {
    this.#table.removeChannel(channel);
    this.#send.forgetChannel(channel);
    if (notifyPeer && this.#state !== 'closed') this.#queueControl(FrameType.DATAGRAM, Flag.FIN, channel.id, Buffer.alloc(0));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#link === undefined) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Writes batches while the carriage accepts them (PROTOCOL.md "Priority"). */
  #flush(): void {
    const link = this.#link;
    if (link === undefined || this.#state !== 'open') return;
    while (link.writable) {
      const batch = this.#send.nextBatch(this.#batchBytes, this.version);
      if (batch.length === 0) return;
      link.write(batch);
    }
  }

  stats(): TunnelStats {
    const peer = this.#link?.peer ?? this.#lastPeer;
    const now = this.#clock.now();
    return {
      role: this.role,
      state: this.#state,
      version: this.version,
      peer: peer === undefined ? undefined : { identity: this.peerIdentity || peer.subject, address: peer.remoteAddress, port: peer.remotePort, carriage: peer.carriage, fingerprint256: peer.fingerprint256 },
      rttMs: this.#rttMs,
      silentMs: this.#state === 'handshaking' ? 0 : this.#keepAlive.silentMs,
      uptimeMs: this.#state === 'open' ? now - this.#connectedAt : 0,
      sessionAgeMs: now - this.#createdAt,
      reconnects: this.reconnects,
      resumes: this.#resumes,
      sent: { ...this.#counters.sent },
      received: { ...this.#counters.received },
      datagrams: this.#table.datagramTotals(),
      streams: this.#table.streams.size,
      channels: this.#table.channels.size,
    };
  }
}

