/**
 * The agent's local registrar (RFC 3261 §10.3), for the "local" call-control mode: phones register
 * to the agent itself, authenticated by digest against the HA1s of the routing snapshot. Several
 * phones may bind one extension (each rings, forked by the B2BUA). A binding is keyed by its
 * Contact URI and keeps the flow the REGISTER came from (after rport, RFC 3581): requests to the
 * phone go to that flow, whatever private address its Contact names. Bindings expire on the
 * injected clock and are written (atomically, by the injected store) on each change, so a restart
 * keeps the phones reachable. Implements the B2BUA's PhoneLocator.
 */
import { TypedEmitter, describeError, silentLogger, type Clock, type Logger, type Timer } from '../core/index.js';
import { buildResponse, getHeader, type ServerRequest, type SipHeader, type TransactionSource, type TransportTarget } from '../sip/index.js';
import type { RoutingModel } from '../routing/index.js';
import { PhoneAuth } from './phone-auth.js';
import { RegisterFormatError, cseqNumber, registerAsk, userOf, type RequestedContact } from './register-request.js';
import { FailureCounter } from './failure-counter.js';
import type { PhoneContact, PhoneLocator } from './types.js';

/** RFC 3261 §10.3 step 7: below this a registration is refused with 423 and Min-Expires. */
export const MIN_EXPIRES_S = 60;
/** Longer asks are shortened to this (§10.3 step 7: "the registrar MAY shorten the expiration"). */
export const MAX_EXPIRES_S = 3600;
/** Phones per extension; a new one beyond this replaces the binding that would expire first. */
export const MAX_BINDINGS_PER_EXTENSION = 10;

/** A binding as the registrar keeps and stores it. */
export interface LocalBinding extends PhoneContact {
  readonly callId: string;
  readonly cseq: number;
}

/** Where bindings are kept across restarts (registrations-file.ts). */
export interface BindingStore {
  save(bindings: readonly LocalBinding[]): Promise<void>;
}

export type RegistrarEvents = {
  register: LocalBinding;
  unregister: { readonly binding: LocalBinding; readonly why: 'removed' | 'expired' | 'replaced' };
  /** Credentials given and refused (wrong password, unknown or disabled extension...). */
  'auth-failure': { readonly source: TransactionSource; readonly user: string | undefined; readonly failure: string };
};

export interface LocalRegistrarOptions {
  readonly clock: Clock;
  readonly routing: () => RoutingModel | undefined;
  readonly auth: PhoneAuth;
  readonly store?: BindingStore;
  /** Bindings read back at start (expired ones are dropped). */
  readonly initial?: readonly LocalBinding[];
  readonly logger?: Logger;
  readonly minExpires?: number;
  readonly maxExpires?: number;
  readonly maxBindings?: number;
  /**
   * Survival (issue 12): a REGISTER this says the agent relayed to the PBX from the same AOR and
   * flow while the PBX was reachable. When the snapshot holds no HA1 for its user, it is accepted
   * without a digest: the agent cannot check the password, but the PBX did.
   */
  readonly learnedThroughPbx?: (request: ServerRequest['request'], source: TransactionSource) => boolean;
}

export interface RegistrarCounters {
  readonly registered: number;
  readonly unregistered: number;
  readonly challenged: number;
  readonly refused: number;
}

export class LocalRegistrar extends TypedEmitter<RegistrarEvents> implements PhoneLocator {
  readonly failures = new FailureCounter();
  readonly #o: LocalRegistrarOptions;
  readonly #log: Logger;
  readonly #min: number;
  readonly #max: number;
  readonly #cap: number;
  /** extension → contact URI → binding. */
  readonly #bindings = new Map<string, Map<string, LocalBinding>>();
  readonly #counters = { registered: 0, unregistered: 0, challenged: 0, refused: 0 };
  #expiry: Timer | undefined;
  #writes: Promise<void> = Promise.resolve();
  #writeQueued = false;
  #closed = false;

  constructor(options: LocalRegistrarOptions) {
    super();
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#min = options.minExpires ?? MIN_EXPIRES_S;
    this.#max = options.maxExpires ?? MAX_EXPIRES_S;
    this.#cap = options.maxBindings ?? MAX_BINDINGS_PER_EXTENSION;
    const now = options.clock.wallNow();
    for (const b of options.initial ?? []) if (b.expiresAt > now) this.#put(b);
    this.#schedule();
  }

  get counters(): RegistrarCounters {
    return { ...this.#counters };
  }

  /** Answers a REGISTER (RFC 3261 §10.3 steps 3 to 8). */
  async handle(incoming: ServerRequest): Promise<void> {
    const { request } = incoming;
    const reply = (status: number, reason?: string, headers: SipHeader[] = []): void => incoming.respond(buildResponse(request, status, reason, headers));
    if (this.#o.routing() === undefined) {
      reply(503, 'Routing Model Not Received Yet', [{ name: 'Retry-After', value: '30' }]);
      return;
    }
    const user = userOf(getHeader(request, 'To'));
    if (user === undefined) {
      reply(400, 'Missing User In To');
      return;
    }
    const outcome = this.#learned(incoming, user) ? ({ kind: 'ok', extension: { number: user } } as const) : await this.#o.auth.authenticate(request, user, false);
    if (outcome.kind === 'challenge') {
      this.#counters.challenged++;
      if (outcome.failure !== undefined) this.#failed(incoming.source, user, outcome.failure);
      reply(401, 'Unauthorized', outcome.headers);
      return;
    }
    if (outcome.kind === 'forbidden') {
      this.#counters.refused++;
      this.#failed(incoming.source, user, outcome.failure);
      reply(403, outcome.reason);
      return;
    }
    let ask;
    let cseq;
    try {
      ask = registerAsk(request);
      cseq = cseqNumber(request);
    } catch (error) {
      if (!(error instanceof RegisterFormatError)) throw error;
      reply(400, error.reason);
      return;
    }
    const extension = outcome.extension.number;
    if (ask.kind === 'remove-all') {
      for (const b of this.contactsOf(extension)) this.#remove(b, 'removed');
    } else if (ask.kind === 'bind') {
      const brief = ask.contacts.find((c) => c.expires > 0 && c.expires < this.#min);
      if (brief !== undefined) {
        reply(423, 'Interval Too Brief', [{ name: 'Min-Expires', value: String(this.#min) }]);
        return;
      }
      const callId = getHeader(request, 'Call-ID') ?? '';
      // §10.3 step 7: a refresh of the same registration with an older CSeq is aborted.
      if (ask.contacts.some((c) => this.#outOfOrder(extension, c, callId, cseq))) {
        reply(500, 'Out Of Order Register', [{ name: 'Retry-After', value: '1' }]);
        return;
      }
      for (const contact of ask.contacts) this.#apply(extension, contact, incoming, callId, cseq);
    }
    this.#schedule();
    this.#persist();
    // §10.3 step 8: the 200 lists every current binding with its remaining lifetime.
    const now = this.#o.clock.wallNow();
    const contacts = this.contactsOf(extension).map((b) => ({ name: 'Contact', value: `<${b.uri}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}` }));
    reply(200, 'OK', contacts);
  }

  /** A refresh of a binding relayed to the PBX, for a user the snapshot has no credentials of. */
  #learned(incoming: ServerRequest, user: string): boolean {
    const check = this.#o.learnedThroughPbx;
    if (check === undefined) return false;
    const known = this.#o.routing()?.extensions.find((e) => e.number === user);
    return (known === undefined || known.ha1 === '') && check(incoming.request, incoming.source);
  }

  contactsOf(extension: string): LocalBinding[] {
    const now = this.#o.clock.wallNow();
    return [...(this.#bindings.get(extension)?.values() ?? [])].filter((b) => b.expiresAt > now);
  }

  extensionAt(source: TransactionSource, user: string): string | undefined {
    return this.contactsOf(user).some((b) => sameFlow(b.target, source)) ? user : undefined;
  }

  registered(): string[] {
    return [...this.#bindings.keys()].filter((e) => this.contactsOf(e).length > 0);
  }

  /** Every live binding, by extension then contact. */
  list(): LocalBinding[] {
    return [...this.#bindings.keys()].sort().flatMap((e) => this.contactsOf(e));
  }

  /** Waits for the pending write and stops the expiry timer; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#expiry?.cancel();
    this.#expiry = undefined;
    await this.#writes;
  }

  #outOfOrder(extension: string, contact: RequestedContact, callId: string, cseq: number): boolean {
    const old = this.#bindings.get(extension)?.get(contact.uri);
    return old !== undefined && old.callId === callId && cseq <= old.cseq;
  }

  #apply(extension: string, contact: RequestedContact, incoming: ServerRequest, callId: string, cseq: number): void {
    const old = this.#bindings.get(extension)?.get(contact.uri);
    if (contact.expires === 0) {
      if (old !== undefined) this.#remove(old, 'removed');
      return;
    }
    const s = incoming.source;
    const userAgent = getHeader(incoming.request, 'User-Agent');
    const binding: LocalBinding = {
      extension,
      uri: contact.uri,
      target: { transport: s.transport, host: s.address, port: s.port, ...(s.flowId === undefined ? {} : { flowId: s.flowId }) },
      ...(userAgent === undefined ? {} : { userAgent }),
      expiresAt: this.#o.clock.wallNow() + Math.min(contact.expires, this.#max) * 1000,
      callId,
      cseq,
    };
    if (old === undefined) {
      const live = this.contactsOf(extension);
      if (live.length >= this.#cap) {
        const first = live.reduce((a, b) => (b.expiresAt < a.expiresAt ? b : a));
        this.#remove(first, 'replaced');
        this.#log.info({ extension, replaced: first.uri, cap: this.#cap }, 'binding cap reached: the one expiring first was replaced');
      }
    }
    this.#put(binding);
    this.#counters.registered++;
    if (old === undefined) this.#log.info({ extension, contact: binding.uri, source: `${s.transport} ${s.address}:${s.port}`, userAgent }, 'phone registered');
    this.emit('register', binding);
  }

  #put(binding: LocalBinding): void {
    let map = this.#bindings.get(binding.extension);
    if (map === undefined) {
      map = new Map();
      this.#bindings.set(binding.extension, map);
    }
    map.set(binding.uri, binding);
  }

  #remove(binding: LocalBinding, why: 'removed' | 'expired' | 'replaced'): void {
    const map = this.#bindings.get(binding.extension);
    if (map?.get(binding.uri) !== binding) return;
    map.delete(binding.uri);
    if (map.size === 0) this.#bindings.delete(binding.extension);
    this.#counters.unregistered++;
    this.#log.info({ extension: binding.extension, contact: binding.uri, why }, 'phone unregistered');
    this.emit('unregister', { binding, why });
  }

  #failed(source: TransactionSource, user: string | undefined, failure: string): void {
    const count = this.failures.add(source.address);
    this.#log.warn({ source: `${source.transport} ${source.address}:${source.port}`, user, failure, failuresFromSource: count }, 'registration refused');
    this.emit('auth-failure', { source, user, failure });
  }

  /** One timer, for the binding that expires first. */
  #schedule(): void {
    this.#expiry?.cancel();
    this.#expiry = undefined;
    if (this.#closed) return;
    let first = Infinity;
    for (const map of this.#bindings.values()) for (const b of map.values()) first = Math.min(first, b.expiresAt);
    if (first === Infinity) return;
    this.#expiry = this.#o.clock.setTimeout(() => this.#expire(), Math.max(0, first - this.#o.clock.wallNow()));
  }

  #expire(): void {
    const now = this.#o.clock.wallNow();
    let changed = false;
    for (const map of [...this.#bindings.values()]) {
      for (const b of [...map.values()]) {
        if (b.expiresAt <= now) {
          this.#remove(b, 'expired');
          changed = true;
        }
      }
    }
    this.#schedule();
    if (changed) this.#persist();
  }

  /**
   * Writes run one after the other, each with the bindings as they are when it starts; changes
   * made while one waits its turn ride with it (a burst of REGISTERs costs two writes, not one each).
   */
  #persist(): void {
    const store = this.#o.store;
    if (store === undefined || this.#closed || this.#writeQueued) return;
    this.#writeQueued = true;
    this.#writes = this.#writes.then(() => {
      this.#writeQueued = false;
      return store.save(this.list());
    }).catch((error: unknown) => {
      this.#log.warn({ err: describeError(error) }, 'cannot store the registrations');
    });
  }
}

/** The same flow: transport, address and port (the connection, for stream transports, when both know it). */
function sameFlow(target: TransportTarget, source: TransactionSource): boolean {
  if (target.transport !== source.transport || target.host !== source.address || target.port !== source.port) return false;
  return target.flowId === undefined || source.flowId === undefined || target.flowId === source.flowId;
}

