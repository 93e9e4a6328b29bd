/**
 * The transaction layer (RFC 3261 §17): between the transport (TransactionTransport, below) and
 * the TU (TransactionUser, above). It matches incoming messages to transactions (§17.1.3,
 * §17.2.3, §9.2), creates server transactions for new requests, passes ACKs for 2xx and stray
 * responses to the TU (§17.2.3, §18.1.2), and bounds the number of live transactions. Server
 * transactions that only wait for their timer are kept as small records (completed-store.ts),
 * bounded by memory apart from the cap of live transactions.
 */
import { silentLogger, type Clock, type Logger } from '../../core/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import { buildResponse } from '../response.js';
import { serializeMessage } from '../serialize.js';
import { topViaOf } from '../via.js';
import { CompletedStore, type CompletedRecord } from './completed-store.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientKey, clientKeyOfResponse, isRfc3261Branch, responseTargetFor, serverMatch, tagOf, type ServerMatch } from './keys.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { callUser } from './timer-set.js';
import { resolveTimerConfig, timerValues, type TimerValues, type TransactionTimerConfig } from './timers.js';
import {
  TransactionError,
  type ClientTransaction,
  type ClientTransactionUser,
  type RetireSpec,
  type ServerTransaction,
  type TransactionContext,
  type TransactionSource,
  type TransactionTarget,
  type TransactionTransport,
  type TransactionTransportName,
} from './types.js';

/** The TU above the layer. Every callback is optional but onRequest; throwing callbacks are logged. */
export interface TransactionUser {
  /** A new request (not ACK, not CANCEL) with the server transaction created for it. */
  onRequest(request: SipRequest, transaction: ServerTransaction): void;
  /**
   * An ACK that belongs to no transaction (the ACK for a 2xx, §17.2.3 / §13.3.1.4), or that an
   * INVITE server transaction in RFC 6026 "Accepted" passes up (then `transaction` is set).
   */
  onAck?(ack: SipRequest, source: TransactionSource, transaction: InviteServerTransaction | undefined): void;
  /**
   * A CANCEL (§9.2) with its own server transaction and the INVITE server transaction it matches,
   * if any. When absent the layer answers itself: 200 to the CANCEL and 487 to the INVITE when it
   * is still Proceeding, 481 when nothing matches.
   */
  onCancel?(cancel: SipRequest, transaction: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void;
  /** §18.1.2: a response that matches no client transaction (e.g. a 2xx retransmission to ACK). */
  onStrayResponse?(response: SipResponse, source: TransactionSource): void;
  /** Timer H fired: the final non-2xx response was never acknowledged (§17.2.1). */
  onServerTimeout?(transaction: InviteServerTransaction): void;
  /** Sending a response failed (§17.2.4). */
  onServerTransportError?(transaction: ServerTransaction, error: unknown): void;
}

export interface TransactionLayerOptions {
  readonly transport: TransactionTransport;
  readonly user: TransactionUser;
  readonly clock: Clock;
  /** T1, T2, T4 (and D, the 100 Trying delay); defaults 500 / 4000 / 5000 ms. */
  readonly timers?: Partial<TransactionTimerConfig>;
  readonly logger?: Logger;
  /** Live transactions allowed on each side (client, server); default 20,000. Completed server transactions do not count. */
  readonly maxTransactions?: number;
  /** The memory bound (estimated bytes) of the completed server transactions kept; default 64 MiB. */
  readonly maxCompletedBytes?: number;
}

export interface TransactionLayerCounters {
  /** Live client transactions (the cap counts these). */
  clientTransactions: number;
  /** Client transactions kept as records until Timer M or K. */
  completedClientTransactions: number;
  /** Live server transactions (the cap counts these). */
  serverTransactions: number;
  /** Completed server transactions kept as records until their timer (J, L, I, or H for the overload 503). */
  completedTransactions: number;
  /** Records dropped before their timer to stay within maxCompletedBytes. */
  completedDropped: number;
  strayResponses: number;
  /** Requests without a usable top Via or CSeq: nothing to match on, dropped. */
  unmatchable: number;
  /** New requests refused with 503 because the server side was full (§21.5.4). */
  overloaded: number;
}

type AnyClient = InviteClientTransaction | NonInviteClientTransaction;
type AnyServer = InviteServerTransaction | NonInviteServerTransaction;

export class TransactionLayer {
  readonly #transport: TransactionTransport;
  readonly #user: TransactionUser;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Timer values for unreliable [0] and reliable [1] transports, resolved once. */
  readonly #timerValues: readonly [TimerValues, TimerValues];
  readonly #max: number;
  readonly #clients = new Map<string, AnyClient>();
  /** RFC 3261 server transactions by branch | sent-by | method. */
  readonly #servers = new Map<string, AnyServer>();
  /** RFC 2543 server transactions by their matching fields; the To tag is compared per entry. */
  readonly #legacy = new Map<string, AnyServer[]>();
  /** RFC 3261 server transactions that only wait for their timer, by the same key as #servers. */
  readonly #completed: CompletedStore;
  /** Client transactions that only wait for Timer M (INVITE, Accepted) or K (non-INVITE), by the key of #clients. */
  readonly #completedClients: CompletedStore;
  #serverCount = 0;
  #stray = 0;
  #unmatchable = 0;
  #overloaded = 0;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    this.#transport = options.transport;
    this.#user = options.user;
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger;
    const config = resolveTimerConfig(options.timers);
    this.#timerValues = [timerValues(config, false), timerValues(config, true)];
    this.#max = options.maxTransactions ?? 20_000;
    this.#completed = new CompletedStore({
      clock: options.clock,
      ...(options.maxCompletedBytes === undefined ? {} : { maxBytes: options.maxCompletedBytes }),
      onExpired: (record) => record.owner?.deref()?.lingerExpired(),
    });
    this.#completedClients = new CompletedStore({
      clock: options.clock,
      ...(options.maxCompletedBytes === undefined ? {} : { maxBytes: options.maxCompletedBytes }),
      onExpired: (record) => record.owner?.deref()?.lingerExpired(),
    });
  }

  counters(): TransactionLayerCounters {
    return {
      clientTransactions: this.#clients.size,
      completedClientTransactions: this.#completedClients.size,
      serverTransactions: this.#serverCount,
      completedTransactions: this.#completed.size,
      completedDropped: this.#completed.dropped,
      strayResponses: this.#stray,
      unmatchable: this.#unmatchable,
      overloaded: this.#overloaded,
    };
  }

  /**
   * Starts a client transaction for `request` (§17.1). The top Via must carry an RFC 3261 branch
   * (newBranch()). An ACK is not a transaction: send the ACK for a 2xx with sendStateless.
   */
  sendRequest(request: SipRequest, target: TransactionTarget, user: ClientTransactionUser): ClientTransaction {
    if (this.#closed) throw new TransactionError('transaction layer closed');
    if (request.method === 'ACK') throw new TransactionError('an ACK has no client transaction; use sendStateless');
    const branch = topViaOf(request)?.params.get('branch');
    if (!isRfc3261Branch(branch)) throw new TransactionError('the top Via of a request we send needs a branch starting with z9hG4bK');
    const key = clientKey(branch, request.method);
    if (this.#clients.has(key)) throw new TransactionError(`a client transaction with branch ${branch} and method ${request.method} exists`);
    if (this.#clients.size >= this.#max) throw new TransactionError(`too many client transactions (${this.#max})`);
    const context = this.#context(this.#reliable(target.transport), () => {
      if (this.#clients.get(key) === tx) this.#clients.delete(key);
      this.#completedClients.remove(key, tx);
    });
    const ctx: TransactionContext = { ...context, retire: (spec) => this.#retireClient(key, tx, spec) };
    const tx: AnyClient = request.method === 'INVITE'
      ? new InviteClientTransaction(request, target, branch, ctx, user)
      : new NonInviteClientTransaction(request, target, branch, ctx, user);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * Sends outside any transaction: the ACK for a 2xx (§13.2.2.4, §17.1.1.3 "the ACK for 2xx is the
   * TU's") and the UAS core's 2xx retransmissions (§13.3.1.4). Failures are the caller's.
   */
  sendStateless(message: SipMessage, target: TransactionTarget): void | Promise<void> {
    if (this.#closed) throw new TransactionError('transaction layer closed');
    return this.#transport.send(message, target);
  }

  /** The transport's entry point: every parsed message received, with where it came from. */
  receive(message: SipMessage, source: TransactionSource): void {
    if (this.#closed) return;
    if (message.kind === 'response') {
      this.#receiveResponse(message, source);
    } else {
      this.#receiveRequest(message, source);
    }
  }

  /** The transport lost a connection: every transaction using it sees a transport error (§17.1.4, §17.2.4). */
  flowFailed(flowId: string, error: unknown): void {
    for (const tx of [...this.#clients.values()]) if (tx.target.flowId === flowId) tx.onTransportError(error);
    for (const tx of this.#allServers()) if (tx.responseTarget.flowId === flowId) tx.onTransportError(error);
  }

  /** Ends every transaction and cancels every timer, telling no TU. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const tx of [...this.#clients.values()]) tx.terminate();
    for (const tx of this.#allServers()) tx.terminate();
    const lingering = [...this.#completed.owners(), ...this.#completedClients.owners()];
    this.#completed.clear();
    this.#completedClients.clear();
    for (const tx of lingering) (tx as AnyServer | AnyClient).terminate();
    this.#clients.clear();
    this.#servers.clear();
    this.#legacy.clear();
    this.#serverCount = 0;
  }

  #allServers(): AnyServer[] {
    return [...this.#servers.values(), ...[...this.#legacy.values()].flat()];
  }

  #receiveResponse(response: SipResponse, source: TransactionSource): void {
    const key = clientKeyOfResponse(response);
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx !== undefined) {
      tx.receiveResponse(response);
      return;
    }
    const completed = key === undefined ? undefined : this.#completedClients.get(key);
    if (completed !== undefined) {
      // RFC 6026 §8.4 Accepted: a 2xx goes up to the TU through its machine, if the TU still holds
      // it; everything else, and §17.1.2.2 Completed, is absorbed.
      const owner = completed.owner?.deref();
      if (completed.ack === 'pass-up' && owner instanceof InviteClientTransaction) owner.receiveResponse(response);
      return;
    }
    // §18.1.2: "Otherwise, the response MUST be passed to the core ... for further processing."
    this.#stray++;
    callUser(this.#log, 'onStrayResponse', () => this.#user.onStrayResponse?.(response, source));
  }

  #receiveRequest(request: SipRequest, source: TransactionSource): void {
    const match = serverMatch(request);
    if (match === undefined) {
      this.#unmatchable++;
      this.#log.debug({ method: request.method }, 'request without a usable Via or CSeq dropped');
      return;
    }
    const existing = this.#find(match, request);
    const completed = existing === undefined && match.style === '3261' ? this.#completed.get(match.key) : undefined;
    if (completed !== undefined) {
      this.#receiveCompleted(completed, request, source);
      return;
    }
    if (request.method === 'ACK') {
      if (existing instanceof InviteServerTransaction) {
        existing.receiveRequest(request, source);
      } else {
        // §17.2.3 / §13.3.1.4: an ACK matching no transaction acknowledges a 2xx; it is the TU's.
        callUser(this.#log, 'onAck', () => this.#user.onAck?.(request, source, undefined));
      }
      return;
    }
    if (existing !== undefined) {
      existing.receiveRequest(request);
      return;
    }
    if (this.#serverCount >= this.#max) {
      this.#refuseOverloaded(match, request, source);
      return;
    }
    if (request.method === 'INVITE') {
      const tx: InviteServerTransaction = new InviteServerTransaction(request, source, responseTargetFor(request, source), this.#serverContext(match, source, (): AnyServer => tx), {
        onAck: (ack, ackSource, t) => this.#user.onAck?.(ack, ackSource, t),
        onTimeout: (t) => this.#user.onServerTimeout?.(t),
        onTransportError: (t, error) => this.#user.onServerTransportError?.(t, error),
      });
      this.#addServer(match, tx);
      tx.start();
      callUser(this.#log, 'onRequest', () => this.#user.onRequest(request, tx));
      return;
    }
    const tx: NonInviteServerTransaction = new NonInviteServerTransaction(request, source, responseTargetFor(request, source), this.#serverContext(match, source, (): AnyServer => tx), {
      onTransportError: (t, error) => this.#user.onServerTransportError?.(t, error),
    });
    this.#addServer(match, tx);
    if (request.method === 'CANCEL') {
      this.#receiveCancel(request, tx);
      return;
    }
    callUser(this.#log, 'onRequest', () => this.#user.onRequest(request, tx));
  }

  /**
   * A request matching a completed record (§17.2.3). §17.2.2 Completed: "the server transaction
   * MUST pass the final response to the transport layer for retransmission whenever a
   * retransmission of the request is received"; §17.2.1 Confirmed absorbs ACKs and INVITEs; RFC
   * 6026 §8.7 Accepted absorbs INVITE retransmissions and "MUST pass any received ACKs to the TU".
   */
  #receiveCompleted(record: CompletedRecord, request: SipRequest, source: TransactionSource): void {
    if (request.method === 'ACK') {
      if (record.ack === 'pass-up') {
        const owner = record.owner?.deref();
        const invite = owner instanceof InviteServerTransaction ? owner : undefined;
        callUser(this.#log, 'onAck', () => this.#user.onAck?.(request, source, invite));
      }
      return;
    }
    const response = record.response;
    if (response === undefined) return;
    const onError = (error: unknown): void => this.#log.debug({ err: error }, 'retransmission of a completed response failed');
    if (typeof response === 'string') this.#sendBytesFor(Buffer.from(response, 'latin1'), record.target, onError);
    else this.#sendFor(response, record.target, onError);
  }

  /**
   * §21.5.4: 503 "The server is temporarily unable to process the request due to a temporary
   * overloading". The answer is kept as a completed record so that a retransmission gets the same
   * 503 and the ACK for an INVITE's 503 is absorbed (§17.2.1 Completed), not passed to the TU as if
   * it acknowledged a 2xx; without retransmissions of our own (no timer G), a lost 503 is resent
   * when the client retransmits its request.
   */
  #refuseOverloaded(match: ServerMatch, request: SipRequest, source: TransactionSource): void {
    this.#overloaded++;
    const response = buildResponse(request, 503, undefined, [{ name: 'Retry-After', value: '5' }]);
    const target = responseTargetFor(request, source);
    const timers = this.#timerValues[this.#reliable(source.transport) ? 1 : 0];
    const lingerMs = request.method === 'INVITE' ? timers.H : timers.J;
    if (match.style !== '3261' || lingerMs <= 0) {
      this.#sendSilently(response, target);
      return;
    }
    const stored = this.#sendFinal(response, target, (error) => this.#log.debug({ err: error }, 'stateless send failed'));
    this.#completed.add(match.key, lingerMs, { response: stored, target, ack: 'absorb', owner: undefined });
  }

  /**
   * A machine now only waits (TransactionContext.retire): it leaves the live map and the cap and
   * becomes a record that holds the final response serialized once.
   */
  #retire(match: ServerMatch, tx: AnyServer, spec: RetireSpec): boolean {
    if (this.#closed || match.style !== '3261' || spec.lingerMs <= 0 || this.#servers.get(match.key) !== tx) return false;
    const stored = spec.response === undefined ? undefined : this.#sendFinal(spec.response, tx.responseTarget, spec.onSendError ?? (() => undefined));
    this.#servers.delete(match.key);
    this.#serverCount--;
    // A send that failed at once has already been queued as a transport error; it removes this record again.
    this.#completed.add(match.key, spec.lingerMs, { response: stored, target: tx.responseTarget, ack: spec.ack, owner: new WeakRef(tx) });
    return true;
  }

  /** A client machine now only waits (TransactionContext.retire): it leaves #clients and the cap. */
  #retireClient(key: string, tx: AnyClient, spec: RetireSpec): boolean {
    if (this.#closed || spec.lingerMs <= 0 || this.#clients.get(key) !== tx) return false;
    this.#clients.delete(key);
    this.#completedClients.add(key, spec.lingerMs, { response: undefined, target: tx.target, ack: spec.ack, owner: new WeakRef(tx) });
    return true;
  }

  /** Sends a final response, serialized once when the transport takes bytes; returns what to keep for retransmissions. */
  #sendFinal(response: SipResponse, target: TransactionTarget, onError: (error: unknown) => void): string | SipResponse {
    if (this.#transport.sendSerialized === undefined) {
      this.#sendFor(response, target, onError);
      return response;
    }
    let bytes: Buffer;
    try {
      bytes = serializeMessage(response);
    } catch (error) {
      queueMicrotask(() => onError(error));
      return response;
    }
    this.#sendBytesFor(bytes, target, onError);
    // latin1: one character per byte, a compact string that converts back to the same bytes.
    return bytes.toString('latin1');
  }

  /**
   * §9.2: "the UAS ... has to identify the transaction being cancelled ... the transaction is
   * identified ... [by] the matching rules of Section 17.2.3 except the method". "If the UAS did
   * not find a matching transaction ... it SHOULD respond to the CANCEL with a 481".
   */
  #receiveCancel(cancel: SipRequest, tx: NonInviteServerTransaction): void {
    const match = serverMatch(cancel, 'INVITE');
    const found = match === undefined ? undefined : this.#find(match, cancel) ?? this.#completedOwner(match);
    const invite = found instanceof InviteServerTransaction ? found : undefined;
    const onCancel = this.#user.onCancel;
    if (onCancel !== undefined) {
      callUser(this.#log, 'onCancel', () => onCancel(cancel, tx, invite));
      return;
    }
    if (invite === undefined) {
      tx.respond(buildResponse(cancel, 481));
      return;
    }
    // §9.2: "the UAS SHOULD ... respond to the INVITE with a 487 (Request Terminated)" when no final
    // response was sent yet; "the response to the CANCEL ... is a 200 (OK)" in any case.
    const toTag = invite.lastResponse === undefined ? undefined : tagOf(invite.lastResponse, 'To');
    tx.respond(buildResponse(cancel, 200, undefined, [], undefined, toTag === undefined ? {} : { toTag }));
    if (invite.state === 'Proceeding') invite.respond(buildResponse(invite.request, 487, undefined, [], undefined, toTag === undefined ? {} : { toTag }));
  }

  #find(match: ServerMatch, request: SipRequest): AnyServer | undefined {
    if (match.style === '3261') return this.#servers.get(match.key);
    const list = this.#legacy.get(match.key);
    if (list === undefined) return undefined;
    if (request.method === 'ACK') {
      // §17.2.3: the ACK's "To tag ... [equals] the To tag of the response sent by the server transaction".
      return list.find((tx) => tx.kind === 'invite-server' && tx.lastResponse !== undefined && tagOf(tx.lastResponse, 'To') === match.toTag);
    }
    return list.find((tx) => tagOf(tx.request, 'To') === match.toTag);
  }

  /** The machine behind a completed record, while something still holds it. */
  #completedOwner(match: ServerMatch): AnyServer | undefined {
    if (match.style !== '3261') return undefined;
    const owner = this.#completed.get(match.key)?.owner?.deref();
    return owner instanceof InviteServerTransaction || owner instanceof NonInviteServerTransaction ? owner : undefined;
  }

  #addServer(match: ServerMatch, tx: AnyServer): void {
    this.#serverCount++;
    if (match.style === '3261') {
      this.#servers.set(match.key, tx);
      return;
    }
    const list = this.#legacy.get(match.key);
    if (list === undefined) this.#legacy.set(match.key, [tx]);
    else list.push(tx);
  }

  #removeServer(match: ServerMatch, tx: AnyServer): void {
    if (match.style === '3261') {
      if (this.#servers.get(match.key) !== tx) return;
      this.#servers.delete(match.key);
    } else {
      const list = this.#legacy.get(match.key);
      const at = list?.indexOf(tx) ?? -1;
      if (list === undefined || at < 0) return;
      list.splice(at, 1);
      if (list.length === 0) this.#legacy.delete(match.key);
    }
    this.#serverCount--;
  }

  #serverContext(match: ServerMatch, source: TransactionSource, self: () => AnyServer): TransactionContext {
    const context = this.#context(this.#reliable(source.transport), () => {
      const tx = self();
      this.#removeServer(match, tx);
      if (match.style === '3261') this.#completed.remove(match.key, tx);
    });
    return { ...context, retire: (spec) => this.#retire(match, self(), spec) };
  }

  #reliable(transport: TransactionTransportName): boolean {
    return this.#transport.isReliable?.(transport) ?? transport !== 'UDP';
  }

  #context(reliable: boolean, terminated: () => void): TransactionContext {
    return {
      clock: this.#clock,
      timers: this.#timerValues[reliable ? 1 : 0],
      log: this.#log,
      send: (message, target, onError) => this.#sendFor(message, target, onError),
      terminated,
    };
  }

  /** Sends for a transaction; sync throws and rejections both reach onError after the current step. */
  #sendFor(message: SipMessage, target: TransactionTarget, onError: (error: unknown) => void): void {
    if (this.#closed) return;
    let result: void | Promise<void>;
    try {
      result = this.#transport.send(message, target);
    } catch (error) {
      queueMicrotask(() => onError(error));
      return;
    }
    if (result instanceof Promise) result.catch(onError);
  }

  /** #sendFor for bytes already serialized (transport.sendSerialized is set). */
  #sendBytesFor(bytes: Buffer, target: TransactionTarget, onError: (error: unknown) => void): void {
    if (this.#closed || this.#transport.sendSerialized === undefined) return;
    let result: void | Promise<void>;
    try {
      result = this.#transport.sendSerialized(bytes, target);
    } catch (error) {
      queueMicrotask(() => onError(error));
      return;
    }
    if (result instanceof Promise) result.catch(onError);
  }

  #sendSilently(message: SipMessage, target: TransactionTarget): void {
    this.#sendFor(message, target, (error) => this.#log.debug({ err: error }, 'stateless send failed'));
  }
}
