/**
 * The SIP transport layer (RFC 3261 §18) over the sockets it is given: one UDP socket, TCP and
 * TLS listeners and connectors. Receiving: datagrams and framed stream messages are parsed,
 * requests get `received`/`rport` (§18.2.1, RFC 3581), malformed requests are answered 400 (or
 * the parser's status) when enough is known, malformed responses are dropped and counted.
 * Sending: responses go back over the connection the request came on (§18.2.2), stream
 * connections are reused by remote address and RFC 5923 alias, and a UDP request over 1300
 * bytes goes over TCP when we can connect (§18.1.1).
 */
import { silentLogger, type Clock, type Logger } from '../../core/index.js';
import type { SipMessage, SipRequest } from '../message.js';
import { buildResponse, parseMessage, SipParseError, serializeMessage, topViaOf, validateRequest, type RequestPolicy } from './codec.js';
import { SipTransportError } from './errors.js';
import { replyToMalformed } from './malformed-reply.js';
import { StreamFlow } from './stream-flow.js';
import {
  emptyCounters, type MessageSource, type SipAddress, type SipDatagramSocket, type SipStreamConnection,
  type SipStreamConnector, type SipStreamListener, type SipTransportCounters, type SipTransportName, type TransportTarget,
} from './types.js';
import { replaceTopVia, responseTarget, stampReceived } from './via-rport.js';

export interface StreamTransportSockets {
  readonly listener?: SipStreamListener;
  readonly connector?: SipStreamConnector;
}

export interface SipTransportLayerOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly udp?: SipDatagramSocket;
  readonly tcp?: StreamTransportSockets;
  readonly tls?: StreamTransportSockets;
  /** Largest message accepted or sent, checked before buffering. Default 65,535 bytes. */
  readonly maxMessageSize?: number;
  /** A stream connection quiet this long is closed. Default 10 minutes; 0 never. */
  readonly idleTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** §18.1.1: "larger than 1300 bytes" when the path MTU is unknown. */
  readonly udpSizeLimit?: number;
  /**
   * Requests that fail validateRequest (missing mandatory headers, bad CSeq, unsupported
   * Require ...) are answered here with its status and never reach the transaction layer.
   * Absent: only parse errors are answered.
   */
  readonly requestPolicy?: RequestPolicy;
  /** Datagrams that look like STUN (RFC 7983 first byte 0..3) arriving on the SIP UDP port. */
  readonly onStunDatagram?: (data: Buffer, from: SipAddress) => void;
  /**
   * The hosts we write in Via sent-by. When given, a response whose top Via names another host
   * is discarded (§18.1.2). Absent: every response is passed up.
   */
  readonly sentByHosts?: readonly string[];
}

export type SipMessageHandler = (message: SipMessage, source: MessageSource) => void;

/** The largest message taken by default: what one UDP datagram can hold (and a TCP message's cap). */
export const MAX_MESSAGE_SIZE = 65_535;

const CRLF_ONLY = /^[\r\n]*$/;

function bareHost(host: string): string {
  return (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
}

function flowKey(transport: SipTransportName, host: string, port: number): string {
  return `${transport}|${bareHost(host)}|${port}`;
}

export class SipTransportLayer {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #udp: SipDatagramSocket | undefined;
  readonly #streams: Partial<Record<'TCP' | 'TLS', StreamTransportSockets>>;
  readonly #maxMessageSize: number;
  readonly #idleTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #udpSizeLimit: number;
  readonly #policy: RequestPolicy | undefined;
  readonly #onStun: ((data: Buffer, from: SipAddress) => void) | undefined;
  readonly #sentByHosts: ReadonlySet<string> | undefined;
  readonly #counters = emptyCounters();
  readonly #flowsById = new Map<string, StreamFlow>();
  readonly #flowsByKey = new Map<string, StreamFlow>();
  readonly #connecting = new Map<string, Promise<StreamFlow>>();
  #handler: SipMessageHandler = () => {};
  #flowClosed: (flowId: string, error: unknown) => void = () => {};
  #nextFlow = 1;
  #started = false;
  #closed: Promise<void> | undefined;

  constructor(options: SipTransportLayerOptions) {
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger;
    this.#udp = options.udp;
    this.#streams = {
      ...(options.tcp === undefined ? {} : { TCP: options.tcp }),
      ...(options.tls === undefined ? {} : { TLS: options.tls }),
    };
    this.#maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE_SIZE;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#udpSizeLimit = options.udpSizeLimit ?? 1300;
    this.#policy = options.requestPolicy;
    this.#onStun = options.onStunDatagram;
    this.#sentByHosts = options.sentByHosts === undefined ? undefined : new Set(options.sentByHosts.map(bareHost));
  }

  /** The one receiver of parsed messages (the transaction layer). */
  onMessage(handler: SipMessageHandler): void {
    this.#handler = handler;
  }

  /** Told when a stream connection ends; `error` is set when it failed (framing, socket error). */
  onFlowClosed(handler: (flowId: string, error: unknown) => void): void {
    this.#flowClosed = handler;
  }

  /** Attaches to the sockets. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#udp?.onMessage((data, from) => this.#onDatagram(data, from));
    this.#udp?.onError((error) => {
      this.#counters.sendErrors++;
      this.#log.debug({ err: error }, 'udp socket error');
    });
    for (const transport of ['TCP', 'TLS'] as const) {
      const listener = this.#streams[transport]?.listener;
      listener?.onConnection((connection) => {
        this.#counters.connectionsAccepted++;
        this.#addFlow(transport, connection, false);
      });
      listener?.onError((error) => this.#log.warn({ err: error, transport }, 'listener error'));
    }
  }

  /** The local address of each transport we listen on, for Via sent-by and Contact. */
  localAddress(transport: SipTransportName): SipAddress | undefined {
    return transport === 'UDP' ? this.#udp?.local : this.#streams[transport]?.listener?.local;
  }

  /** Whether a message can be sent over `transport` at all. */
  supports(transport: SipTransportName): boolean {
    if (transport === 'UDP') return this.#udp !== undefined;
    const s = this.#streams[transport];
    return s?.connector !== undefined || s?.listener !== undefined;
  }

  counters(): Readonly<SipTransportCounters> {
    return { ...this.#counters };
  }

  /** Open stream connections. */
  get flowCount(): number {
    return this.#flowsById.size;
  }

  /** Sends a CRLFCRLF keep-alive ping on an open flow (RFC 5626 §4.4.1); false when it is gone. */
  ping(flowId: string): boolean {
    const flow = this.#flowsById.get(flowId);
    if (flow === undefined || flow.closed) return false;
    flow.write(Buffer.from('\r\n\r\n'));
    return true;
  }

  /**
   * Sends `message` to `target`; rejects with SipTransportError when it cannot. Requests over
   * UDP larger than the limit go over TCP when a TCP connection can be made, else over UDP
   * (§18.1.1: "the element SHOULD retry the request, using UDP").
   */
  async send(message: SipMessage, target: TransportTarget): Promise<void> {
    if (this.#closed !== undefined) throw new SipTransportError(target, 'transport layer closed');
    const bytes = serializeMessage(message);
    if (message.kind === 'request' && target.transport === 'UDP' && bytes.length > this.#udpSizeLimit
      && this.#streams.TCP?.connector !== undefined) {
      try {
        const overTcp = this.#viaTransport(message, 'TCP');
        await this.#sendStream(serializeMessage(overTcp), { ...target, transport: 'TCP' });
        this.#counters.sizeSwitchesToTcp++;
        return;
      } catch (error) {
        this.#log.debug({ err: error }, 'large request: TCP failed, retrying over UDP');
      }
    }
    await this.sendSerialized(bytes, target);
  }

  /**
   * Sends a message already serialized, as it is (no switch to TCP for a large request): the
   * transaction layer resends a completed transaction's final response this way without
   * serializing it again.
   */
  async sendSerialized(bytes: Buffer, target: TransportTarget): Promise<void> {
    if (this.#closed !== undefined) throw new SipTransportError(target, 'transport layer closed');
    if (bytes.length > this.#maxMessageSize) {
      this.#counters.oversize++;
      throw new SipTransportError(target, `message of ${bytes.length} bytes exceeds ${this.#maxMessageSize}`);
    }
    if (target.transport === 'UDP') {
      if (this.#udp === undefined) throw new SipTransportError(target, 'no UDP socket');
      this.#udp.send(bytes, target.port, bareHost(target.host));
      this.#counters.messagesSent++;
      return;
    }
    await this.#sendStream(bytes, target);
  }

  /** Closes every connection and socket given to this layer. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const flow of [...this.#flowsById.values()]) flow.close();
      const closing: Array<Promise<void>> = [];
      if (this.#udp !== undefined) closing.push(this.#udp.close());
      for (const s of Object.values(this.#streams)) if (s.listener !== undefined) closing.push(s.listener.close());
      await Promise.allSettled(closing);
    })();
    return this.#closed;
  }

  #viaTransport(request: SipRequest, transport: SipTransportName): SipRequest {
    const via = topViaOf(request);
    if (via === undefined) return request;
    const port = this.localAddress(transport)?.port;
    return replaceTopVia(request, { ...via, transport, ...(port === undefined ? {} : { port }) });
  }

  async #sendStream(bytes: Buffer, target: TransportTarget): Promise<void> {
    if (bytes.length > this.#maxMessageSize) {
      this.#counters.oversize++;
      throw new SipTransportError(target, `message of ${bytes.length} bytes exceeds ${this.#maxMessageSize}`);
    }
    const flow = await this.#flowFor(target);
    flow.write(bytes);
    this.#counters.messagesSent++;
  }

  async #flowFor(target: TransportTarget): Promise<StreamFlow> {
    if (target.flowId !== undefined) {
      const flow = this.#flowsById.get(target.flowId);
      if (flow !== undefined && !flow.closed) return flow;
    }
    const transport = target.transport;
    if (transport === 'UDP') throw new SipTransportError(target, 'not a stream transport');
    const key = flowKey(transport, target.host, target.port);
    const existing = this.#flowsByKey.get(key);
    if (existing !== undefined && !existing.closed) return existing;
    const pending = this.#connecting.get(key);
    if (pending !== undefined) return pending;
    const connector = this.#streams[transport]?.connector;
    if (connector === undefined) throw new SipTransportError(target, `no ${transport} connector`);
    const connecting = (async () => {
      try {
        const connection = await connector.connect({ host: bareHost(target.host), port: target.port, timeoutMs: this.#connectTimeoutMs });
        if (this.#closed !== undefined) {
          connection.destroy();
          throw new SipTransportError(target, 'transport layer closed');
        }
        this.#counters.connectionsOpened++;
        const flow = this.#addFlow(transport, connection, true);
        flow.keys.add(key);
        this.#flowsByKey.set(key, flow);
        return flow;
      } catch (error) {
        this.#counters.sendErrors++;
        throw error instanceof SipTransportError ? error : new SipTransportError(target, 'connect failed', { cause: error });
      } finally {
        this.#connecting.delete(key);
      }
    })();
    this.#connecting.set(key, connecting);
    return connecting;
  }

  #addFlow(transport: 'TCP' | 'TLS', connection: SipStreamConnection, outbound: boolean): StreamFlow {
    const id = `${transport.toLowerCase()}-${this.#nextFlow++}`;
    const source: MessageSource = {
      transport, address: connection.remote.address, port: connection.remote.port, flowId: id,
      localAddress: connection.local.address, localPort: connection.local.port,
    };
    let failure: unknown;
    const flow: StreamFlow = new StreamFlow({
      id, transport, connection, outbound, clock: this.#clock, maxMessageSize: this.#maxMessageSize,
      idleTimeoutMs: this.#idleTimeoutMs,
      events: {
        message: (bytes) => this.#onBytes(bytes, source, flow),
        ping: () => this.#counters.pingsAnswered++,
        pong: () => this.#counters.pongsReceived++,
        framingError: (error) => {
          failure = error;
          this.#counters.framingErrors++;
          this.#log.info({ err: error, flow: id }, 'framing error: connection closed');
        },
        idle: () => this.#counters.idleConnectionsClosed++,
        closed: (error) => {
          this.#removeFlow(flow);
          this.#flowClosed(id, failure ?? error);
        },
      },
    });
    this.#flowsById.set(id, flow);
    const key = flowKey(transport, connection.remote.address, connection.remote.port);
    flow.keys.add(key);
    this.#flowsByKey.set(key, flow);
    return flow;
  }

  #removeFlow(flow: StreamFlow): void {
    this.#counters.connectionsClosed++;
    this.#flowsById.delete(flow.id);
    for (const key of flow.keys) if (this.#flowsByKey.get(key) === flow) this.#flowsByKey.delete(key);
  }

  #onDatagram(data: Buffer, from: SipAddress): void {
    const first = data[0];
    if (first !== undefined && first <= 3) {
      // RFC 7983 §7: first byte 0..3 is STUN; keep-alives of RFC 5626 §4.4.2 arrive here.
      if (this.#onStun !== undefined) this.#onStun(data, from);
      else this.#counters.nonSipDatagrams++;
      return;
    }
    if (data.length > this.#maxMessageSize) {
      this.#counters.oversize++;
      return;
    }
    if (CRLF_ONLY.test(data.toString('latin1', 0, Math.min(data.length, 8))) && data.length <= 8) return;
    const local = this.#udp?.local;
    this.#onBytes(data, {
      transport: 'UDP', address: from.address, port: from.port,
      localAddress: local?.address ?? '', localPort: local?.port ?? 0,
    }, undefined);
  }

  #onBytes(bytes: Buffer, source: MessageSource, flow: StreamFlow | undefined): void {
    let message: SipMessage;
    try {
      message = parseMessage(bytes, { stream: flow !== undefined });
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.#onMalformed(bytes, error, source, flow);
      return;
    }
    if (message.kind === 'response' && !this.#isOurs(message)) {
      this.#counters.misroutedResponses++;
      return;
    }
    this.#counters.messagesReceived++;
    if (message.kind === 'request') {
      message = stampReceived(message, source);
      if (this.#policy !== undefined && !this.#accepts(message, source)) return;
      if (flow !== undefined) this.#learnAlias(message, flow);
    }
    this.#handler(message, source);
  }

  /**
   * §18.1.2: "the client transport MUST verify that the value in the sent-by parameter in the
   * top Via header field value corresponds to a value that the client transport is configured to
   * insert into requests. If it does not, the response MUST be silently discarded."
   */
  #isOurs(response: SipMessage): boolean {
    if (this.#sentByHosts === undefined || response.kind !== 'response') return true;
    const via = topViaOf(response);
    if (via === undefined) return false;
    if (!this.#sentByHosts.has(bareHost(via.host))) return false;
    const ports = (['UDP', 'TCP', 'TLS'] as const).map((t) => this.localAddress(t)?.port).filter((p) => p !== undefined);
    return via.port === undefined || ports.includes(via.port);
  }

  /** §8.2: a request the policy rejects is answered here (never an ACK, §17). */
  #accepts(request: SipRequest, source: MessageSource): boolean {
    if (this.#policy === undefined) return true;
    const rejection = validateRequest(request, this.#policy);
    if (rejection === undefined) return true;
    this.#counters.malformedRequests++;
    if (request.method === 'ACK') return false;
    const response = buildResponse(request, rejection.status, rejection.reason, rejection.headers);
    const target = responseTarget(response, source.flowId);
    if (target !== undefined) {
      this.send(response, target).catch((error: unknown) => this.#log.debug({ err: error }, 'rejection not sent'));
    }
    return false;
  }

  /** RFC 5923 §5: a Via `alias` lets the connection be reused for requests to its sent-by. */
  #learnAlias(request: SipRequest, flow: StreamFlow): void {
    const via = topViaOf(request);
    if (via === undefined || !via.params.has('alias')) return;
    const key = flowKey(flow.transport, flow.connection.remote.address, via.port ?? (flow.transport === 'TLS' ? 5061 : 5060));
    if (flow.keys.has(key)) return;
    flow.keys.add(key);
    this.#flowsByKey.set(key, flow);
  }

  #onMalformed(bytes: Buffer, error: SipParseError, source: MessageSource, flow: StreamFlow | undefined): void {
    if (error.isResponse) {
      this.#counters.malformedResponses++;
      return;
    }
    this.#counters.malformedRequests++;
    const reply = replyToMalformed(bytes, error);
    if (reply === undefined) return;
    // The source address, not the Via: nothing in a malformed request is to be trusted (§18.2.2 / RFC 3581).
    if (flow !== undefined) flow.write(reply);
    else this.#udp?.send(reply, source.port, source.address);
    this.#counters.messagesSent++;
  }
}
