/** In-memory transport, recording TU and message builders for the transaction tests. */
import { ManualClock } from '../../../../src/core/index.js';
import { parseMessage } from '../../../../src/sip/parse.js';
import { getHeader, type SipHeader, type SipMessage, type SipRequest, type SipResponse } from '../../../../src/sip/message.js';
import {
  TransactionLayer,
  type ClientTransaction,
  type ClientTransactionUser,
  type InviteServerTransaction,
  type NonInviteServerTransaction,
  type ServerTransaction,
  type TransactionSource,
  type TransactionTarget,
  type TransactionTransport,
  type TransactionUser,
} from '../../../../src/sip/transaction/index.js';

export interface Sent {
  readonly at: number;
  readonly message: SipMessage;
  readonly target: TransactionTarget;
}

export class FakeTransport implements TransactionTransport {
  readonly sent: Sent[] = [];
  /** When set, send throws it (or rejects with it when `async`). */
  failure: Error | undefined;
  async = false;
  /** Sends that went through sendSerialized. */
  serialized = 0;
  readonly #clock: ManualClock;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  send(message: SipMessage, target: TransactionTarget): void | Promise<void> {
    this.sent.push({ at: this.#clock.now(), message, target });
    if (this.failure !== undefined) {
      if (this.async) return Promise.reject(this.failure);
      throw this.failure;
    }
    return undefined;
  }

  /** Completed transactions send their stored bytes: recorded parsed back, marked `serialized`. */
  sendSerialized(bytes: Buffer, target: TransactionTarget): void | Promise<void> {
    this.serialized++;
    return this.send(parseMessage(bytes), target);
  }

  /** Send times of requests with `method` (or responses with `status`). */
  times(what: string | number): number[] {
    return this.sent.filter((s) => label(s.message) === String(what)).map((s) => s.at);
  }

  labels(): string[] {
    return this.sent.map((s) => label(s.message));
  }
}

export function label(m: SipMessage): string {
  return m.kind === 'request' ? m.method : String(m.status);
}

export class RecordingUser implements TransactionUser, ClientTransactionUser {
  readonly events: string[] = [];
  readonly requests: Array<{ request: SipRequest; tx: ServerTransaction }> = [];
  readonly cancels: Array<{ cancel: SipRequest; tx: NonInviteServerTransaction; invite: InviteServerTransaction | undefined }> = [];
  /** When set, onRequest answers at once with this status. */
  answer: number | undefined;
  onCancel?: NonNullable<TransactionUser['onCancel']>;

  onRequest(request: SipRequest, tx: ServerTransaction): void {
    this.events.push(`request ${request.method}`);
    this.requests.push({ request, tx });
    if (this.answer !== undefined) tx.respond(response(request, this.answer, 'uas'));
  }
  onAck(ack: SipRequest, _source: TransactionSource, tx: InviteServerTransaction | undefined): void {
    this.events.push(tx === undefined ? 'ack (no transaction)' : `ack (${tx.state})`);
    void ack;
  }
  /** Takes CANCEL handling over from the layer's default. */
  hookCancel(): void {
    this.onCancel = (cancel, tx, invite) => {
      this.events.push(`cancel ${invite === undefined ? 'unmatched' : 'matched'}`);
      this.cancels.push({ cancel, tx, invite });
    };
  }
  onStrayResponse(r: SipResponse): void {
    this.events.push(`stray ${r.status}`);
  }
  onServerTimeout(tx: InviteServerTransaction): void {
    this.events.push(`server timeout ${tx.state}`);
  }
  onServerTransportError(tx: ServerTransaction): void {
    this.events.push(`server transport error ${tx.state}`);
  }
  onResponse(r: SipResponse, tx: ClientTransaction): void {
    this.events.push(`response ${r.status} (${tx.state})`);
  }
  onTimeout(tx: ClientTransaction): void {
    this.events.push(`timeout ${tx.state}`);
  }
  onTransportError(tx: ClientTransaction): void {
    this.events.push(`transport error ${tx.state}`);
  }
  onTerminated(): void {
    this.events.push('terminated');
  }
}

export interface RequestFields {
  readonly method?: string;
  /** The whole top Via value; default: UDP from 192.0.2.10:5060 with `branch`. */
  readonly via?: string;
  readonly branch?: string | undefined;
  readonly uri?: string;
  readonly fromTag?: string;
  readonly toTag?: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly cseqMethod?: string;
}

export function request(fields: RequestFields = {}): SipRequest {
  const method = fields.method ?? 'INVITE';
  const branch = 'branch' in fields ? fields.branch : 'z9hG4bK-1';
  const via = fields.via ?? `SIP/2.0/UDP 192.0.2.10:5060${branch === undefined ? '' : `;branch=${branch}`}`;
  const headers: SipHeader[] = [
    { name: 'Via', value: via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<sip:alice@example.com>;tag=${fields.fromTag ?? 'a1'}` },
    { name: 'To', value: `<sip:bob@example.com>${fields.toTag === undefined ? '' : `;tag=${fields.toTag}`}` },
    { name: 'Call-ID', value: fields.callId ?? 'call-1@192.0.2.10' },
    { name: 'CSeq', value: `${fields.cseq ?? 1} ${fields.cseqMethod ?? method}` },
  ];
  return { kind: 'request', method, uri: fields.uri ?? 'sip:bob@example.com', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

/** A response to `req` with a To tag (except 100), as a UAS would write it. */
export function response(req: SipRequest, status: number, toTag = 'b1'): SipResponse {
  const to = getHeader(req, 'To') ?? '';
  const headers: SipHeader[] = req.headers
    .filter((h) => ['Via', 'From', 'Call-ID', 'CSeq'].includes(h.name))
    .concat(status === 100 || to.includes('tag=') ? [{ name: 'To', value: to }] : [{ name: 'To', value: `${to};tag=${toTag}` }]);
  return { kind: 'response', status, reason: 'Test', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

export const UDP_SOURCE: TransactionSource = { transport: 'UDP', address: '192.0.2.10', port: 5060 };
export const TCP_SOURCE: TransactionSource = { transport: 'TCP', address: '192.0.2.10', port: 40000, flowId: 'flow-1' };
export const UDP_TARGET: TransactionTarget = { transport: 'UDP', host: '192.0.2.20', port: 5060 };
export const TCP_TARGET: TransactionTarget = { transport: 'TCP', host: '192.0.2.20', port: 5060, flowId: 'flow-2' };

export function setup(options: { maxTransactions?: number; maxCompletedBytes?: number; T1?: number } = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport(clock);
  const user = new RecordingUser();
  const layer = new TransactionLayer({
    transport, user, clock,
    ...(options.maxTransactions === undefined ? {} : { maxTransactions: options.maxTransactions }),
    ...(options.maxCompletedBytes === undefined ? {} : { maxCompletedBytes: options.maxCompletedBytes }),
    ...(options.T1 === undefined ? {} : { timers: { T1: options.T1 } }),
  });
  return { clock, transport, user, layer };
}

/** Lets queued microtasks (deferred transport errors) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
