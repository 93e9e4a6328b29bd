/**
 * The local call path (issue 11, the agent's "local" call-control mode): the agent is the
 * registrar and call controller of its LAN phones, with no PBX. On a LAN's SIP stack it sends
 * REGISTER to the local registrar, answers OPTIONS itself, establishes who a new INVITE comes from
 * (a phone's registered flow, a trunk of the snapshot, or a digest answered to a 407) before it
 * hands the call to the call handler (the B2BUA), and passes requests inside dialogs, ACK and
 * CANCEL to that handler, 481 when it knows none of them (RFC 3261 §12.2.2).
 */
import { describeError, isIpLiteral, silentLogger, type Logger } from '../core/index.js';
import { buildResponse, getHeader, parseNameAddr, getTag, type RequestHandler, type ServerRequest, type SipHeader, type SipRequest, type TransactionSource } from '../sip/index.js';
import type { RoutingModel, Trunk } from '../routing/index.js';
import type { PhoneAuth } from './phone-auth.js';
import type { LocalRegistrar } from './registrar.js';
import { userOf } from './register-request.js';
import type { CallOrigin, PhoneLocator } from './types.js';

/** What the local call path needs of the B2BUA (b2bua.ts implements it). */
export interface CallHandler {
  /** A new INVITE whose caller is established. */
  invite(incoming: ServerRequest, origin: CallOrigin): void;
  /** A request inside one of its dialogs, an ACK, or a CANCEL of one of its calls: true when taken. */
  inDialog(incoming: ServerRequest): boolean;
}

/** Methods the local call path serves (RFC 3261 §20.5 Allow, also on 405). */
export const LOCAL_ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, REFER, NOTIFY';
/** Methods known but not served here: event packages and pager mode need the PBX (405, not 501). */
const NOT_SERVED = new Set(['SUBSCRIBE', 'PUBLISH', 'MESSAGE']);
/** Methods that make sense inside a dialog only (481 when none matches, §12.2.2). */
const IN_DIALOG = new Set(['BYE', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY']);

/** What the local call path needs of the BLF notifier (dialog-watchers.ts implements it). */
export interface SubscriptionHandler {
  /** A SUBSCRIBE outside any dialog: answered. */
  subscribe(incoming: ServerRequest): void;
  /** A SUBSCRIBE inside one of its subscriptions: true when taken. */
  inDialog(incoming: ServerRequest): boolean;
}

/** A handler that takes no call: the B2BUA is not wired (new calls 503, nothing in dialog). */
export const NO_CALL_HANDLER: CallHandler = {
  invite: (incoming) => incoming.respond(buildResponse(incoming.request, 503, 'Call Control Not Available', [{ name: 'Retry-After', value: '60' }])),
  inDialog: () => false,
};

export interface LocalCallPathOptions {
  readonly stack: { onRequest(handler: RequestHandler): void };
  readonly registrar: LocalRegistrar;
  readonly auth: PhoneAuth;
  readonly calls: CallHandler;
  /** SUBSCRIBE (Event: dialog, BLF) once the B2BUA runs; until then, and without it, 405. Read at each request. */
  readonly subscriptions?: () => SubscriptionHandler | undefined;
  readonly routing: () => RoutingModel | undefined;
  /** Where a caller's registered flow is looked up; default the registrar (survival adds the bindings relayed to the PBX). */
  readonly callers?: Pick<PhoneLocator, 'extensionAt'>;
  readonly logger?: Logger;
}

export interface LocalCallPathCounters {
  readonly registers: number;
  readonly invites: number;
  readonly fromBinding: number;
  readonly fromTrunk: number;
  readonly authenticated: number;
  readonly refused: number;
  readonly noRouting: number;
  readonly noDialog: number;
  readonly refusedDraining: number;
}

export class LocalCallPath {
  readonly #o: LocalCallPathOptions;
  readonly #log: Logger;
  readonly #counters = { registers: 0, invites: 0, fromBinding: 0, fromTrunk: 0, authenticated: 0, refused: 0, noRouting: 0, noDialog: 0, refusedDraining: 0 };
  #draining = false;
  #closed = false;

  constructor(options: LocalCallPathOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    options.stack.onRequest((incoming) => this.#receive(incoming));
  }

  get counters(): LocalCallPathCounters {
    return { ...this.#counters };
  }

  /** New calls get 503 with Retry-After from now on; calls up and registrations go on (sbc-agent drain). */
  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** New requests get 503 from now on (the stack closes after this). Idempotent. */
  close(): void {
    this.#closed = true;
  }

  #receive(incoming: ServerRequest): void {
    this.#handle(incoming).catch((error: unknown) => {
      this.#log.error({ err: describeError(error), method: incoming.request.method }, 'local call path failed on a request');
      if (incoming.request.method !== 'ACK') incoming.respond(buildResponse(incoming.request, 500, 'Server Internal Error'));
    });
  }

  async #handle(incoming: ServerRequest): Promise<void> {
    const { request } = incoming;
    const method = request.method;
    const reply = (status: number, reason: string, headers: SipHeader[] = []): void => {
      if (method !== 'ACK') incoming.respond(buildResponse(request, status, reason, headers));
    };
    if (this.#closed) {
      reply(503, 'Shutting Down', [{ name: 'Retry-After', value: '30' }]);
      return;
    }
    if (method === 'ACK' || method === 'CANCEL' || hasToTag(request)) {
      if (this.#o.subscriptions?.()?.inDialog(incoming) === true || this.#o.calls.inDialog(incoming)) return;
      this.#counters.noDialog++;
      reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    switch (method) {
      case 'REGISTER':
        this.#counters.registers++;
        await this.#o.registrar.handle(incoming);
        return;
      case 'OPTIONS':
        // RFC 3261 §11.2: what we would answer to an INVITE, and what we support.
        reply(200, 'OK', [{ name: 'Allow', value: LOCAL_ALLOW }, { name: 'Accept', value: 'application/sdp' }]);
        return;
      case 'INVITE':
        await this.#invite(incoming);
        return;
      case 'SUBSCRIBE': {
        const watchers = this.#o.subscriptions?.();
        if (watchers !== undefined) watchers.subscribe(incoming);
        else reply(405, 'Method Not Allowed', [{ name: 'Allow', value: LOCAL_ALLOW }]);
        return;
      }
      default:
        if (IN_DIALOG.has(method)) reply(481, 'Call/Transaction Does Not Exist');
        else if (NOT_SERVED.has(method)) reply(405, 'Method Not Allowed', [{ name: 'Allow', value: LOCAL_ALLOW }]);
        else reply(501, 'Not Implemented', [{ name: 'Allow', value: LOCAL_ALLOW }]);
    }
  }

  async #invite(incoming: ServerRequest): Promise<void> {
    const { request } = incoming;
    const reply = (status: number, reason: string, headers: SipHeader[] = []): void => incoming.respond(buildResponse(request, status, reason, headers));
    this.#counters.invites++;
    const model = this.#o.routing();
    if (model === undefined) {
      // Until the hub's snapshot arrives there are no extensions to check calls against.
      this.#counters.noRouting++;
      reply(503, 'Routing Model Not Received Yet', [{ name: 'Retry-After', value: '30' }]);
      return;
    }
    if (this.#draining) {
      this.#counters.refusedDraining++;
      reply(503, 'Draining', [{ name: 'Retry-After', value: '60' }]);
      return;
    }
    const origin = await this.#origin(incoming, model);
    if (origin === undefined) return;
    this.#o.calls.invite(incoming, origin);
  }

  /** Who calls, or undefined after answering 407/403. */
  async #origin(incoming: ServerRequest, model: RoutingModel): Promise<CallOrigin | undefined> {
    const { request, source } = incoming;
    const user = userOf(getHeader(request, 'From'));
    // A phone that registered from this very flow is trusted as its extension (no second challenge).
    const bound = user === undefined ? undefined : (this.#o.callers ?? this.#o.registrar).extensionAt(source, user);
    if (bound !== undefined && model.extensions.some((e) => e.number === bound && e.enabled)) {
      this.#counters.fromBinding++;
      return { kind: 'extension', number: bound };
    }
    const trunk = trunkAt(model.trunks, source);
    if (trunk !== undefined) {
      this.#counters.fromTrunk++;
      return { kind: 'trunk', name: trunk.name };
    }
    if (user === undefined) {
      this.#counters.refused++;
      incoming.respond(buildResponse(request, 403, 'Forbidden'));
      return undefined;
    }
    const outcome = await this.#o.auth.authenticate(request, user, true);
    if (outcome.kind === 'ok') {
      this.#counters.authenticated++;
      return { kind: 'extension', number: outcome.extension.number };
    }
    if (outcome.kind === 'challenge') {
      if (outcome.failure !== undefined) this.#o.registrar.failures.add(source.address);
      incoming.respond(buildResponse(request, 407, 'Proxy Authentication Required', outcome.headers));
      return undefined;
    }
    this.#counters.refused++;
    this.#o.registrar.failures.add(source.address);
    this.#log.warn({ source: `${source.transport} ${source.address}:${source.port}`, user, failure: outcome.failure }, 'call refused');
    incoming.respond(buildResponse(request, 403, outcome.reason));
    return undefined;
  }
}

function hasToTag(request: SipRequest): boolean {
  const to = getHeader(request, 'To');
  if (to === undefined) return false;
  try {
    return getTag(parseNameAddr(to)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The trunk a request comes from: its host is the source address (IP literals only: names are not
 * resolved here); among several on one address, the one whose port matches.
 */
export function trunkAt(trunks: readonly Trunk[], source: TransactionSource): Trunk | undefined {
  const here = trunks.filter((t) => isIpLiteral(t.host) && sameAddress(t.host, source.address));
  return here.find((t) => t.port === source.port) ?? here[0];
}

function sameAddress(a: string, b: string): boolean {
  const strip = (s: string): string => s.replace(/^\[|\]$/g, '').toLowerCase();
  return strip(a) === strip(b);
}
