/**
 * Shared subscriptions on the agent (RFC 6665): when several phones watch the same resource
 * (same Request-URI and event package: dialog for BLF, RFC 4235; presence, RFC 3856;
 * message-summary, RFC 3842) the agent keeps ONE subscription through the tunnel and fans each
 * NOTIFY out to every watcher. Each watcher has its own dialog with the agent: the agent is its
 * notifier (own To tag, Call-ID and CSeq of the watcher, its own Contact), sends the immediate
 * NOTIFY of §4.2.2 with the last known state, and ends the watcher on expiry. Upstream, the agent
 * is the subscriber: it refreshes before expiry and unsubscribes (Expires: 0, §4.1.2.3) when the
 * last watcher leaves. Bodies (dialog-info, pidf, message-summary) are passed as they are.
 */
import { randomBytes } from 'node:crypto';
import { silentLogger, type Clock, type Logger, type Timer } from '../core/index.js';
import {
  buildResponse, getHeader, getHeaders, getViaBranch, parseNameAddr, topVia,
  type ServerRequest, type SipHeader, type SipMessage, type SipRequest, type SipResponse, type SipTransportName, type TransportTarget,
} from '../sip/index.js';
import { TUNNEL_HOST, callIdOf, sipUri } from './sip-edit.js';
import { newTunnelBranch } from './tokens.js';
import { hideIpHosts } from './from-to.js';
import { MessageSummaryMemory, type MessageSummary } from './message-summary-memory.js';
import { contactUri, requestedExpires, tagOf, watcherKey, watcherNotify, type State, type Watcher } from './subscription-parts.js';

/** Event packages whose subscriptions are shared. */
export const SHARED_EVENT_PACKAGES: ReadonlySet<string> = new Set(['dialog', 'presence', 'message-summary']);
const TAG_PREFIX = 'sbcw';
/** A request on the tunnel hop with no final response after this long counts as 408 (Timer F, RFC 3261 §17.1.2.2). */
const TRANSACTION_MS = 32_000;

export interface SharedSubscriptionsOptions {
  readonly clock: Clock;
  /** Sends on the current tunnel stream; false when there is none. */
  readonly sendUp: (message: SipMessage) => boolean;
  /** A non-INVITE client transaction toward a watcher (the agent's LAN stack). */
  readonly requestDown: (request: SipRequest, target: TransportTarget) => Promise<SipResponse>;
  readonly newVia: (transport: SipTransportName) => string;
  /** The agent's LAN contact for a user part, on the watcher's transport. */
  readonly lanContact: (transport: SipTransportName, user: string) => string;
  /**
   * Whether a new watcher may be served from a shared subscription (default: any). A watcher
   * refused here is relayed one to one as before, so the PBX authenticates and authorizes it.
   */
  readonly admit?: (incoming: ServerRequest) => boolean;
  /** Lifetime asked of the PBX for the shared subscription, seconds. Default 600. */
  readonly upstreamExpires?: number;
  /** Longest lifetime granted to a watcher, seconds. Default 3600. */
  readonly maxWatcherExpires?: number;
  readonly logger?: Logger;
}



interface Upstream {
  readonly key: string;
  readonly token: string;
  readonly uri: string;
  readonly event: string;
  readonly callId: string;
  readonly from: string;
  to: string;
  cseq: number;
  remoteTarget: string | undefined;
  established: boolean;
  state: State | undefined;
  refresh: Timer | undefined;
  readonly watchers: Map<string, Watcher>;
  /** Initial SUBSCRIBEs of watchers held until the upstream one has its final response. */
  waiting: ServerRequest[];
}

interface Pending { readonly upstream: Upstream; readonly kind: 'initial' | 'refresh' | 'end'; readonly timer: Timer }

export class SharedSubscriptions {
  readonly #o: SharedSubscriptionsOptions;
  readonly #log: Logger;
  readonly #byKey = new Map<string, Upstream>();
  readonly #byToken = new Map<string, Upstream>();
  readonly #pending = new Map<string, Pending>();
  /** Upstream dialogs being ended: their last NOTIFY is answered 200 and not fanned out. */
  readonly #ending = new Map<string, Timer>();
  readonly #watchers = new Map<string, { upstream: Upstream; watcher: Watcher }>();
  readonly #counters = { upstreamSubscribes: 0, notifiesIn: 0, notifiesOut: 0 };
  /** The last message-summary per mailbox: survival answers MWI SUBSCRIBEs with it (issue 12). */
  readonly #summaries = new MessageSummaryMemory();

  constructor(options: SharedSubscriptionsOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  get counters(): Readonly<Record<'upstreamSubscribes' | 'notifiesIn' | 'notifiesOut', number>> {
    return this.#counters;
  }

  /** The last message-summary body the PBX sent for the mailbox of `user` (the AOR's user part). */
  lastMessageSummary(user: string): MessageSummary | undefined {
    return this.#summaries.last(user);
  }

  /**
   * A message-summary NOTIFY the PBX sends a phone outside the shared subscriptions (unsolicited
   * MWI, or a subscription relayed one to one): its body is remembered for the To's mailbox too.
   */
  noteRelayedNotify(notify: SipRequest): void {
    if (notify.method !== 'NOTIFY' || (getHeader(notify, 'Event') ?? '').split(';')[0]?.trim().toLowerCase() !== 'message-summary') return;
    let user: string | undefined;
    try {
      user = sipUri(parseNameAddr(getHeader(notify, 'To') ?? '').uri)?.user;
    } catch {
      return;
    }
    this.#summaries.remember(user ?? '', getHeader(notify, 'Content-Type'), notify.body);
  }

  /** Resources watched now: key → number of watchers. */
  resources(): Map<string, number> {
    return new Map([...this.#byKey].map(([k, u]) => [k, u.watchers.size + u.waiting.length]));
  }

  /** A SUBSCRIBE from a phone. False: not a shared package (the caller relays it one to one). */
  fromPhone(incoming: ServerRequest): boolean {
    const { request } = incoming;
    if (request.method !== 'SUBSCRIBE') return false;
    const event = getHeader(request, 'Event')?.trim() ?? '';
    const pkg = event.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!SHARED_EVENT_PACKAGES.has(pkg)) return false;
    const toTag = tagOf(getHeader(request, 'To'));
    const expires = requestedExpires(request, this.#o.maxWatcherExpires ?? 3600);
    if (toTag !== undefined) {
      if (!toTag.startsWith(TAG_PREFIX)) return false;
      this.#refreshWatcher(incoming, toTag, expires);
      return true;
    }
    const ruri = sipUri(request.uri);
    if (ruri === undefined || this.#o.admit?.(incoming) === false) return false;
    const key = `${pkg}|${ruri.user ?? ''}@${ruri.host.toLowerCase()}`;
    let upstream = this.#byKey.get(key);
    if (expires === 0) {
      // A fetch (§4.4.3): answered from the shared state when there is one, else relayed as before.
      if (upstream?.established !== true || upstream.state === undefined) return false;
      const w = this.#newWatcher(incoming, event, 0);
      incoming.respond(this.#okToWatcher(request, w, 0));
      this.#notify(w, upstream.state, 'terminated;reason=timeout');
      return true;
    }
    if (upstream === undefined) {
      upstream = this.#subscribeUp(key, request, event);
      if (upstream === undefined) {
        incoming.respond(buildResponse(request, 503, 'Tunnel Down'));
        return true;
      }
    }
    if (upstream.established) this.#addWatcher(upstream, incoming, event, expires);
    else upstream.waiting.push(incoming);
    return true;
  }

  /** A message from the tunnel. False: not ours. */
  fromTunnel(message: SipMessage): boolean {
    if (message.kind === 'response') {
      const branch = getViaBranch(topVia(message));
      const pending = branch === undefined ? undefined : this.#pending.get(branch);
      if (pending === undefined || branch === undefined) return false;
      if (message.status >= 200) {
        this.#pending.delete(branch);
        pending.timer.cancel();
        this.#upstreamAnswered(pending, message);
      }
      return true;
    }
    if (message.method !== 'NOTIFY') return false;
    const user = sipUri(message.uri)?.user;
    // Phone tokens are `a-` and 16 letters or digits (tokens.ts): never a second '-'.
    if (user === undefined || !user.startsWith('a-sub-')) return false;
    const upstream = this.#byToken.get(user);
    if (upstream === undefined || callIdOf(message) !== upstream.callId) {
      this.#o.sendUp(buildResponse(message, this.#ending.has(user) ? 200 : 481));
      return true;
    }
    this.#o.sendUp(buildResponse(message, 200));
    this.#upstreamNotify(upstream, message);
    return true;
  }

  // ---------------------------------------------------------------- upstream (agent as subscriber)

  #subscribeUp(key: string, first: SipRequest, event: string): Upstream | undefined {
    const token = `a-sub-${randomBytes(9).toString('hex')}`;
    const fromValue = getHeader(first, 'From') ?? '';
    let from: string;
    try {
      from = `<${parseNameAddr(fromValue).uri}>;tag=${TAG_PREFIX}${randomBytes(6).toString('hex')}`;
    } catch {
      return undefined;
    }
    // IP-literal hosts of the watcher's From and To stay in the LAN (from-to.ts).
    const hidden = hideIpHosts([{ name: 'From', value: from }, { name: 'To', value: getHeader(first, 'To') ?? `<${first.uri}>` }], TUNNEL_HOST);
    const upstream: Upstream = {
      key, token, uri: first.uri, event, callId: `${randomBytes(12).toString('hex')}@${TUNNEL_HOST}`, from: hidden[0]?.value ?? from,
      to: hidden[1]?.value ?? `<${first.uri}>`, cseq: 0, remoteTarget: undefined, established: false,
      state: undefined, refresh: undefined, watchers: new Map(), waiting: [],
    };
    // The first watcher's credentials answer the PBX's challenge: a digest covers the method and
    // the Request-URI (RFC 3261 §22.4), both kept as the watcher wrote them.
    const credentials = ['Authorization', 'Proxy-Authorization'].flatMap((name) => getHeaders(first, name).map((value) => ({ name, value })));
    const accept = getHeaders(first, 'Accept').map((value) => ({ name: 'Accept', value }));
    if (!this.#sendSubscribe(upstream, 'initial', this.#o.upstreamExpires ?? 600, [...accept, ...credentials])) return undefined;
    this.#byKey.set(key, upstream);
    this.#byToken.set(token, upstream);
    this.#counters.upstreamSubscribes++;
    return upstream;
  }

  #sendSubscribe(u: Upstream, kind: Pending['kind'], expires: number, extra: readonly SipHeader[] = []): boolean {
    const branch = newTunnelBranch();
    u.cseq++;
    const headers: SipHeader[] = [
      { name: 'Via', value: `SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: u.from },
      { name: 'To', value: u.to },
      { name: 'Call-ID', value: u.callId },
      { name: 'CSeq', value: `${u.cseq} SUBSCRIBE` },
      { name: 'Contact', value: `<sip:${u.token}@${TUNNEL_HOST}>` },
      { name: 'Event', value: u.event },
      { name: 'Expires', value: String(expires) },
      ...extra,
    ];
    const uri = kind === 'initial' ? u.uri : u.remoteTarget ?? u.uri;
    const request: SipRequest = { kind: 'request', version: 'SIP/2.0', method: 'SUBSCRIBE', uri, headers, body: Buffer.alloc(0) };
    if (!this.#o.sendUp(request)) return false;
    const timer = this.#o.clock.setTimeout(() => {
      if (!this.#pending.delete(branch)) return;
      this.#upstreamAnswered({ upstream: u, kind, timer }, buildResponse(request, 408));
    }, TRANSACTION_MS);
    this.#pending.set(branch, { upstream: u, kind, timer });
    return true;
  }

  #upstreamAnswered(p: Pending, response: SipResponse): void {
    const u = p.upstream;
    if (p.kind === 'end') return;
    if (this.#byToken.get(u.token) !== u) return;
    if (response.status >= 300) {
      const waiting = u.waiting;
      u.waiting = [];
      const keep = ['WWW-Authenticate', 'Proxy-Authenticate', 'Retry-After', 'Min-Expires'];
      for (const incoming of waiting) {
        const extra = keep.flatMap((name) => getHeaders(response, name).map((value) => ({ name, value })));
        incoming.respond(buildResponse(incoming.request, response.status, response.reason, extra));
      }
      // A refresh refused (481, 408, a new challenge): the watchers re-subscribe at once (§4.1.3 deactivated).
      this.#drop(u, 'terminated;reason=deactivated');
      return;
    }
    if (!u.established) {
      u.established = true;
      u.to = getHeader(response, 'To') ?? u.to;
      u.remoteTarget ??= contactUri(response);
    }
    const granted = Number(getHeader(response, 'Expires') ?? this.#o.upstreamExpires ?? 600);
    this.#scheduleRefresh(u, Number.isFinite(granted) ? granted : 600);
    const waiting = u.waiting;
    u.waiting = [];
    for (const incoming of waiting) {
      this.#addWatcher(u, incoming, getHeader(incoming.request, 'Event') ?? u.event, requestedExpires(incoming.request, this.#o.maxWatcherExpires ?? 3600));
    }
  }

  #scheduleRefresh(u: Upstream, granted: number): void {
    u.refresh?.cancel();
    // Refresh a minute before expiry, or half-way for short lifetimes (RFC 6665 §4.1.2.1).
    const at = Math.max(granted * 500, granted * 1000 - 60_000);
    u.refresh = this.#o.clock.setTimeout(() => {
      u.refresh = undefined;
      if (!this.#sendSubscribe(u, 'refresh', this.#o.upstreamExpires ?? 600)) this.#drop(u, 'terminated;reason=deactivated');
    }, at);
  }

  #upstreamNotify(u: Upstream, notify: SipRequest): void {
    this.#counters.notifiesIn++;
    u.remoteTarget = contactUri(notify) ?? u.remoteTarget;
    if (tagOf(u.to) === undefined) {
      // The NOTIFY may overtake the 200 (§4.1.2.4): its From tag completes the dialog.
      const remote = tagOf(getHeader(notify, 'From'));
      if (remote !== undefined) u.to = `${u.to};tag=${remote}`;
    }
    const subState = (getHeader(notify, 'Subscription-State') ?? 'active').trim();
    const value = subState.split(';')[0]?.trim().toLowerCase() ?? 'active';
    const ct = getHeader(notify, 'Content-Type');
    u.state = { contentType: ct, body: notify.body, value: value === 'pending' ? 'pending' : 'active' };
    if (u.key.startsWith('message-summary|')) this.#summaries.remember(sipUri(u.uri)?.user ?? '', ct, notify.body);
    if (value === 'terminated') {
      this.#drop(u, subState, u.state);
      return;
    }
    const expires = /;\s*expires=(\d+)/i.exec(subState)?.[1];
    if (expires !== undefined && u.established) this.#scheduleRefresh(u, Number(expires));
    for (const w of u.watchers.values()) this.#notify(w, u.state, undefined);
  }

  /** Ends the shared subscription and every watcher of it with `subState` (a terminated value). */
  #drop(u: Upstream, subState: string, state?: State): void {
    u.refresh?.cancel();
    this.#forget(u);
    for (const w of u.watchers.values()) {
      w.timer?.cancel();
      this.#watchers.delete(watcherKey(w.callId, w.localTag));
      this.#notify(w, state ?? u.state, subState);
    }
    u.watchers.clear();
    for (const incoming of u.waiting) incoming.respond(buildResponse(incoming.request, 503));
    u.waiting = [];
  }

  #forget(u: Upstream): void {
    if (this.#byKey.get(u.key) === u) this.#byKey.delete(u.key);
    this.#byToken.delete(u.token);
  }

  #unsubscribe(u: Upstream): void {
    u.refresh?.cancel();
    this.#forget(u);
    this.#ending.set(u.token, this.#o.clock.setTimeout(() => this.#ending.delete(u.token), TRANSACTION_MS));
    this.#sendSubscribe(u, 'end', 0);
  }

  // ---------------------------------------------------------------- watchers (agent as notifier)

  #newWatcher(incoming: ServerRequest, event: string, expires: number): Watcher {
    const { request, source } = incoming;
    const target: TransportTarget = { transport: source.transport, host: source.address, port: source.port, ...(source.flowId === undefined ? {} : { flowId: source.flowId }) };
    const localTag = `${TAG_PREFIX}${randomBytes(6).toString('hex')}`;
    return {
      callId: callIdOf(request), remoteTag: tagOf(getHeader(request, 'From')) ?? '', localTag,
      from: `${getHeader(request, 'To') ?? ''};tag=${localTag}`, to: getHeader(request, 'From') ?? '', event,
      remoteTarget: contactUri(request) ?? request.uri, target, cseq: 0,
      expiresAt: this.#o.clock.now() + expires * 1000, timer: undefined, chain: Promise.resolve(),
    };
  }

  #addWatcher(u: Upstream, incoming: ServerRequest, event: string, expires: number): void {
    const w = this.#newWatcher(incoming, event, expires);
    u.watchers.set(watcherKey(w.callId, w.localTag), w);
    this.#watchers.set(watcherKey(w.callId, w.localTag), { upstream: u, watcher: w });
    this.#armExpiry(u, w);
    incoming.respond(this.#okToWatcher(incoming.request, w, expires));
    // §4.2.2: a NOTIFY follows at once; with no state known yet, it follows the upstream's first NOTIFY.
    if (u.state !== undefined) this.#notify(w, u.state, undefined);
  }

  #refreshWatcher(incoming: ServerRequest, localTag: string, expires: number): void {
    const { request } = incoming;
    const found = this.#watchers.get(watcherKey(callIdOf(request), localTag));
    if (found === undefined) {
      incoming.respond(buildResponse(request, 481));
      return;
    }
    const { upstream: u, watcher: w } = found;
    w.expiresAt = this.#o.clock.now() + expires * 1000;
    incoming.respond(this.#okToWatcher(request, w, expires));
    if (expires === 0) {
      this.#removeWatcher(u, w, 'terminated;reason=timeout');
      return;
    }
    this.#armExpiry(u, w);
    if (u.state !== undefined) this.#notify(w, u.state, undefined);
  }

  #armExpiry(u: Upstream, w: Watcher): void {
    w.timer?.cancel();
    w.timer = this.#o.clock.setTimeout(() => this.#removeWatcher(u, w, 'terminated;reason=timeout'), Math.max(0, w.expiresAt - this.#o.clock.now()));
  }

  #removeWatcher(u: Upstream, w: Watcher, subState: string | undefined): void {
    w.timer?.cancel();
    const key = watcherKey(w.callId, w.localTag);
    if (!u.watchers.delete(key)) return;
    this.#watchers.delete(key);
    if (subState !== undefined) this.#notify(w, u.state, subState);
    if (u.watchers.size === 0 && u.waiting.length === 0 && this.#byToken.get(u.token) === u) this.#unsubscribe(u);
  }

  #okToWatcher(request: SipRequest, w: Watcher, expires: number): SipResponse {
    const contact = { name: 'Contact', value: `<${this.#o.lanContact(w.target.transport, 'sbc')}>` };
    return buildResponse(request, 200, undefined, [contact, { name: 'Expires', value: String(expires) }], Buffer.alloc(0), { toTag: w.localTag });
  }

  /** Queues one NOTIFY to a watcher (§4.2.2: one at a time per subscription, in order). */
  #notify(w: Watcher, state: State | undefined, subState: string | undefined): void {
    w.cseq++;
    const remaining = Math.max(0, Math.ceil((w.expiresAt - this.#o.clock.now()) / 1000));
    const request = watcherNotify(w, state, subState ?? `${state?.value ?? 'active'};expires=${remaining}`, this.#o.newVia(w.target.transport), `<${this.#o.lanContact(w.target.transport, 'sbc')}>`);
    this.#counters.notifiesOut++;
    w.chain = w.chain.then(async () => {
      try {
        const response = await this.#o.requestDown(request, w.target);
        // §4.2.2: a 481 (or no answer at all) ends this watcher's subscription.
        if (response.status === 481 && subState === undefined) this.#removeByWatcher(w);
      } catch (error) {
        this.#log.info({ err: error }, 'watcher did not answer a NOTIFY');
        if (subState === undefined) this.#removeByWatcher(w);
      }
    });
  }

  #removeByWatcher(w: Watcher): void {
    const found = this.#watchers.get(watcherKey(w.callId, w.localTag));
    if (found !== undefined) this.#removeWatcher(found.upstream, w, undefined);
  }

  /** A new tunnel session: the upstream dialogs are gone; watchers re-subscribe (§4.1.3 deactivated). */
  reset(): void {
    for (const p of this.#pending.values()) p.timer.cancel();
    this.#pending.clear();
    for (const u of [...this.#byToken.values()]) this.#drop(u, 'terminated;reason=deactivated');
  }

  close(): void {
    for (const t of this.#ending.values()) t.cancel();
    this.#ending.clear();
    for (const p of this.#pending.values()) p.timer.cancel();
    this.#pending.clear();
    for (const u of this.#byToken.values()) {
      u.refresh?.cancel();
      for (const w of u.watchers.values()) w.timer?.cancel();
    }
    this.#byKey.clear();
    this.#byToken.clear();
    this.#watchers.clear();
  }
}
