/**
 * The LAN plug-and-play responder (docs/ARCHITECTURE.md): SUBSCRIBEs to 224.0.1.75 arrive on the
 * group socket; answers leave from the unicast SIP socket of the LAN the phone is on so the
 * phone sees a unicast source; the phone's 200 to the NOTIFY comes back to that socket.
 *
 * Order of checks on a datagram, cheapest first: per-source rate limit (before parsing, so a
 * flood costs a map lookup), size, parse, method and event package, the headers an answer
 * needs, a retransmission of a SUBSCRIBE already answered (the 200 is sent again, RFC 3261
 * §17.2.2), then the inbox decision. Pending and rejected phones get no answer at all, so they
 * fall back to their other provisioning methods (a phone that gets no answer tries DHCP options
 * next; one that gets an error gives up on this server) and a pending phone that
 * retries after its approval is answered.
 */
import { randomBytes } from 'node:crypto';
import { SourceRateLimiter, describeError, type Clock, type Logger, type RateLimitOptions, type Timer } from '../core/index.js';
import type { DatagramSocket, SocketAddress } from '../net/index.js';
import { interfaceForSource } from '../net/index.js';
import { getHeader, parseMessage, parseVia, serializeMessage, type SipMessage } from '../sip/index.js';
import { build200, buildNotify, readSubscribe, responseTarget, type Subscribe } from './answer.js';
import type { PhoneInbox } from './inbox.js';
import { phoneId } from './inbox.js';
import { NotifyTransaction, T1_MS, T2_MS, type NotifyOutcome } from './notify-transaction.js';
import { provisioningUrl, type UrlShapeOptions } from './provisioning-url.js';

export interface PnpLan {
  readonly address: string;
  readonly netmask: string;
  /** The unicast SIP socket on this LAN address: answers leave from it. */
  readonly socket: DatagramSocket;
}

export interface PnpIds {
  tag(): string;
  branch(): string;
}

export interface PnpResponderOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly inbox: PhoneInbox;
  readonly lans: readonly PnpLan[];
  readonly url: UrlShapeOptions;
  /** The provisioning relay's port, for `{port}` in the URL base. */
  readonly relayPort: number;
  readonly t1Ms?: number;
  readonly t2Ms?: number;
  readonly rateLimit?: RateLimitOptions;
  /** Larger datagrams are not a PnP SUBSCRIBE (real ones are about 500 bytes). */
  readonly maxDatagramBytes?: number;
  readonly ids?: PnpIds;
  /** NOTIFY transactions running at once; past it new phones wait (a spoofed-source flood bound). */
  readonly maxActiveNotifies?: number;
}

export interface PnpStats {
  received: number;
  rateLimited: number;
  malformed: number;
  ignored: number;
  pending: number;
  rejected: number;
  overloaded: number;
  answered: number;
  subscribeRetransmissions: number;
  /** Responses to our NOTIFYs that arrived on the group socket. */
  notifyResponses: number;
  notifyRetransmissions: number;
  notifyAnswered: number;
  notifyTimeouts: number;
}

export const randomIds: PnpIds = {
  tag: () => randomBytes(6).toString('hex'),
  branch: () => `z9hG4bK${randomBytes(8).toString('hex')}`,
};

interface Answered {
  readonly response: Buffer;
  readonly address: string;
  readonly port: number;
  readonly socket: DatagramSocket;
  readonly expiry: Timer;
}

export class PnpResponder {
  readonly #o: PnpResponderOptions;
  readonly #ids: PnpIds;
  readonly #t1: number;
  readonly #t2: number;
  readonly #limiter: SourceRateLimiter;
  readonly #maxBytes: number;
  /** Answered SUBSCRIBEs by Call-ID, CSeq and From tag, kept 64·T1 (Timer J) for retransmissions. */
  readonly #answered = new Map<string, Answered>();
  readonly #notifies = new Map<string, NotifyTransaction>();
  readonly stats: PnpStats = {
    received: 0, rateLimited: 0, malformed: 0, ignored: 0, pending: 0, rejected: 0, overloaded: 0, answered: 0,
    subscribeRetransmissions: 0, notifyResponses: 0, notifyRetransmissions: 0, notifyAnswered: 0, notifyTimeouts: 0,
  };
  #closed = false;

  constructor(options: PnpResponderOptions) {
    this.#o = options;
    this.#ids = options.ids ?? randomIds;
    this.#t1 = options.t1Ms ?? T1_MS;
    this.#t2 = options.t2Ms ?? Math.max(this.#t1, T2_MS * (this.#t1 / T1_MS));
    this.#limiter = new SourceRateLimiter(options.rateLimit ?? { burst: 10, perSecond: 5 }, options.clock);
    this.#maxBytes = options.maxDatagramBytes ?? 4096;
  }

  /** A datagram from the group socket. Never throws: a socket handler must not. */
  handleMulticast(data: Buffer, from: SocketAddress): void {
    if (this.#closed) return;
    try {
      this.#onDatagram(data, from);
    } catch (error) {
      this.#malformed(from, describeError(error));
    }
  }

  #onDatagram(data: Buffer, from: SocketAddress): void {
    this.stats.received++;
    if (!this.#limiter.allow(from.address)) {
      this.stats.rateLimited++;
      return;
    }
    if (data.length > this.#maxBytes) {
      this.#malformed(from, 'too large');
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseMessage(data);
    } catch (error) {
      this.#malformed(from, describeError(error));
      return;
    }
    // A response to our NOTIFY is matched by its branch whichever socket it reaches: a test
    // client such as SIPp sends everything to the address it first sent to, the group.
    if (msg.kind === 'response' && this.#onResponse(msg)) {
      this.stats.notifyResponses++;
      return;
    }
    if (msg.kind !== 'request' || msg.method !== 'SUBSCRIBE') {
      this.stats.ignored++;
      return;
    }
    const read = readSubscribe(msg);
    if (!read.ok) {
      this.#malformed(from, read.reason);
      return;
    }
    const s = read.subscribe;
    if (s.event.package !== 'ua-profile') {
      this.stats.ignored++;
      return;
    }
    const key = `${s.callId}\n${s.cseq}\n${s.fromTag ?? ''}`;
    const again = this.#answered.get(key);
    if (again !== undefined) {
      this.stats.subscribeRetransmissions++;
      again.socket.send(again.response, again.port, again.address);
      return;
    }
    const lan = interfaceForSource(this.#o.lans, from.address) ?? (this.#o.lans.length === 1 ? this.#o.lans[0] : undefined);
    if (lan === undefined) {
      this.stats.ignored++;
      this.#o.log.debug({ from: from.address }, 'pnp SUBSCRIBE from outside every LAN');
      return;
    }
    if (this.#notifies.size >= (this.#o.maxActiveNotifies ?? 1024)) {
      // Unanswered, the phone retransmits its SUBSCRIBE and is answered once load falls.
      this.stats.overloaded++;
      return;
    }
    const decision = this.#o.inbox.observe(s.identity, from.address);
    const phone = { id: phoneId(s.identity.mac, from.address), brand: s.identity.brand, model: s.identity.model, ip: from.address };
    if (decision === 'pending' || decision === 'off') {
      this.stats.pending++;
      this.#o.log.info(phone, decision === 'off' ? 'pnp off: SUBSCRIBE not answered' : 'pnp phone waits for approval');
      return;
    }
    if (decision === 'rejected') {
      this.stats.rejected++;
      this.#o.log.info(phone, 'pnp phone rejected: no answer');
      return;
    }
    this.#answer(s, key, from, lan, phone);
  }

  /** A datagram on a unicast SIP socket: the phone's response to our NOTIFY. */
  handleUnicast(data: Buffer): boolean {
    let msg: SipMessage;
    try {
      msg = parseMessage(data);
    } catch {
      return false;
    }
    return this.#onResponse(msg);
  }

  #onResponse(msg: SipMessage): boolean {
    if (msg.kind !== 'response' || !/\bNOTIFY\s*$/i.test(getHeader(msg, 'CSeq') ?? '')) return false;
    const via = getHeader(msg, 'Via');
    if (via === undefined) return false;
    let branch: string | undefined;
    try {
      branch = parseVia(via).params.get('branch');
    } catch {
      return false;
    }
    const tx = branch === undefined ? undefined : this.#notifies.get(branch);
    if (tx === undefined) return false;
    tx.onResponse(msg.status);
    return true;
  }

  /** NOTIFY transactions still running. */
  get activeNotifies(): number {
    return this.#notifies.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const tx of this.#notifies.values()) tx.close();
    this.#notifies.clear();
    for (const a of this.#answered.values()) a.expiry.cancel();
    this.#answered.clear();
  }

  #malformed(from: SocketAddress, reason: string): void {
    this.stats.malformed++;
    this.#o.log.debug({ from: from.address, reason }, 'pnp datagram dropped');
  }

  #answer(s: Subscribe, key: string, from: SocketAddress, lan: PnpLan, phone: Record<string, unknown>): void {
    const agent = { address: lan.address, port: lan.socket.local.port };
    const toTag = this.#ids.tag();
    const target = responseTarget(s.via, from);
    const response = serializeMessage(build200(s, target.via, toTag, agent));
    lan.socket.send(response, target.port, target.address);
    const expiry = this.#o.clock.setTimeout(() => this.#answered.delete(key), 64 * this.#t1);
    this.#answered.set(key, { response, address: target.address, port: target.port, socket: lan.socket, expiry });
    this.stats.answered++;

    const url = provisioningUrl(this.#o.url, s.identity.brand, lan.address, this.#o.relayPort);
    const branch = this.#ids.branch();
    const notify = serializeMessage(buildNotify(s, toTag, branch, agent, url));
    const tx = new NotifyTransaction(
      branch, this.#o.clock, this.#t1, this.#t2,
      () => lan.socket.send(notify, s.contactPort, s.contactHost),
      (outcome, sends) => this.#notifyDone(branch, outcome, sends, phone),
    );
    this.#notifies.set(branch, tx);
    this.#o.log.info({ ...phone, url, to: `${s.contactHost}:${s.contactPort}` }, 'pnp phone answered');
    tx.start();
  }

  #notifyDone(branch: string, outcome: NotifyOutcome, sends: number, phone: Record<string, unknown>): void {
    this.#notifies.delete(branch);
    this.stats.notifyRetransmissions += sends - 1;
    if (outcome.kind === 'answered') {
      this.stats.notifyAnswered++;
      this.#o.log.info({ ...phone, status: outcome.status, sends }, 'pnp NOTIFY answered');
    } else {
      this.stats.notifyTimeouts++;
      this.#o.log.warn({ ...phone, sends }, 'pnp NOTIFY timed out (Timer F)');
    }
  }
}
