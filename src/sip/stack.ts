/**
 * The SIP stack: the transport layer (src/sip/transport) under the transaction layer
 * (src/sip/transaction) under one transaction user callback. It implements SipEndpoint, the
 * client side the UA core, the REGISTER client and the SBC use. Sockets are opened by the
 * composition root (src/net) and handed in through the transport layer.
 */
import { SbcError, silentLogger, type Clock, type Logger } from '../core/index.js';
import type { SipMessage, SipRequest, SipResponse } from './message.js';
import { buildResponse } from './response.js';
import type { RequestHandler, ServerRequest, SipEndpoint } from './stack-types.js';
import {
  newBranch, TransactionLayer, type ServerTransaction, type TransactionSource, type TransactionTimerConfig,
} from './transaction/index.js';
import { defaultPort, SipTransportError, type SipTransportLayer, type SipTransportName, type TransportTarget } from './transport/index.js';

/** Timer B or F fired: no final response (RFC 3261 §17.1.1.2, §17.1.2.2; the TU treats it as 408). */
export class SipTimeoutError extends SbcError {
  readonly target: TransportTarget;

  constructor(request: SipRequest, target: TransportTarget) {
    super('SBC_ERR_SIP_TRANSACTION', `${request.method} to ${target.transport} ${target.host}:${target.port}: no final response (timeout)`);
    this.target = target;
  }
}

export interface SipStackOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly transport: SipTransportLayer;
  /** T1, T2, T4 ... for the transaction layer. */
  readonly timers?: Partial<TransactionTimerConfig>;
  /** The host written in Via sent-by and Contact; default the local address of each transport. */
  readonly advertisedHost?: string;
  readonly onRequest?: RequestHandler;
  readonly maxTransactions?: number;
}

function formatHostForSip(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export class SipStack implements SipEndpoint {
  readonly clock: Clock;
  readonly transport: SipTransportLayer;
  readonly transactions: TransactionLayer;
  readonly #log: Logger;
  readonly #advertisedHost: string | undefined;
  #handler: RequestHandler;
  #closed: Promise<void> | undefined;

  constructor(options: SipStackOptions) {
    this.clock = options.clock;
    this.transport = options.transport;
    this.#log = options.logger ?? silentLogger;
    this.#advertisedHost = options.advertisedHost;
    this.#handler = options.onRequest ?? ((incoming) => this.#notImplemented(incoming));
    const transport = options.transport;
    this.transactions = new TransactionLayer({
      clock: options.clock,
      logger: this.#log,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      ...(options.maxTransactions === undefined ? {} : { maxTransactions: options.maxTransactions }),
      transport: { send: (message, target) => transport.send(message, target), sendSerialized: (bytes, target) => transport.sendSerialized(bytes, target) },
      user: {
        onRequest: (request, transaction) => this.#deliver(request, transaction.source, transaction),
        onAck: (ack, source) => this.#deliver(ack, source, undefined),
        onCancel: (cancel, transaction) => this.#deliver(cancel, transaction.source, transaction),
      },
    });
    transport.onMessage((message, source) => this.transactions.receive(message, source));
    transport.onFlowClosed((flowId, error) => {
      if (error !== undefined) this.transactions.flowFailed(flowId, error);
    });
  }

  /** Replaces the TU callback. */
  onRequest(handler: RequestHandler): void {
    this.#handler = handler;
  }

  /** Starts receiving. Idempotent. */
  start(): void {
    this.transport.start();
  }

  request(request: SipRequest, target: TransportTarget, onProvisional?: (response: SipResponse) => void): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      this.transactions.sendRequest(request, target, {
        onResponse: (response) => {
          if (response.status < 200) {
            onProvisional?.(response);
          } else if (!settled) {
            settled = true;
            resolve(response);
          }
        },
        onTimeout: () => {
          settled = true;
          reject(new SipTimeoutError(request, target));
        },
        onTransportError: (_tx, error) => {
          settled = true;
          reject(error instanceof SipTransportError ? error : new SipTransportError(target, 'send failed', { cause: error }));
        },
      });
    });
  }

  async sendStateless(message: SipMessage, target: TransportTarget): Promise<void> {
    await this.transport.send(message, target);
  }

  hostPort(transport: SipTransportName): string {
    const local = this.transport.localAddress(transport) ?? this.transport.localAddress('UDP') ?? this.transport.localAddress('TCP');
    const host = this.#advertisedHost ?? local?.address ?? '127.0.0.1';
    const port = this.transport.localAddress(transport)?.port ?? local?.port ?? defaultPort(transport);
    return `${formatHostForSip(host)}:${port}`;
  }

  /** §8.1.1.7 branch with the magic cookie; `rport` asks for RFC 3581 symmetric responses. */
  newVia(transport: SipTransportName): string {
    return `SIP/2.0/${transport} ${this.hostPort(transport)};branch=${newBranch()};rport`;
  }

  /** Ends every transaction, then closes the transport and its sockets. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.transactions.close();
      await this.transport.close();
    })();
    return this.#closed;
  }

  #deliver(request: SipRequest, source: TransactionSource, transaction: ServerTransaction | undefined): void {
    const incoming: ServerRequest = {
      request,
      source,
      respond: (response) => {
        if (transaction === undefined) return;
        try {
          transaction.respond(response);
        } catch (error) {
          // The state forbids it (e.g. a 200 after a CANCEL's 487): nothing to send.
          this.#log.debug({ err: error, status: response.status }, 'response not sent');
        }
      },
    };
    this.#handler(incoming);
  }

  /** Without a TU every request but ACK gets 501 (§8.2.1 would be 405 for a known method). */
  #notImplemented(incoming: ServerRequest): void {
    if (incoming.request.method === 'ACK') return;
    incoming.respond(buildResponse(incoming.request, 501));
  }
}
