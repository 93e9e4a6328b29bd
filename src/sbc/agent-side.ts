/**
 * The agent side of the call path: the outbound proxy of the LAN phones. A transaction-stateful
 * proxy (RFC 3261 §16) whose upstream is the tunnel: requests from phones lose their Via stack and
 * Contacts (topology hiding, the hub never learns LAN addresses), responses come back with the
 * phone's own Vias; requests from the hub are routed by the contact token in their Request-URI to
 * the phone's flow (the source it last spoke from: rport, RFC 3581, and phones behind a NAT or a
 * broken SIP ALG whose Contact does not match their source). SDP is anchored on the agent.
 */
import { isIpLiteral, silentLogger, type Clock, type Logger } from '../core/index.js';
import { parseSdp, serializeSdp } from '../sdp/index.js';
import {
  buildResponse, getHeader, topVia, getViaBranch, withHeader, withoutHeader, formatVia, parseVia,
  type ServerRequest, type SipHeader, type SipMessage, type SipRequest, type SipResponse, type SipStack, type TransportTarget, type SipTransportName,
} from '../sip/index.js';
import type { CallMedia } from './call-media.js';
import { RegistrationCache, requestedExpires } from './registrations.js';
import { PhoneFlows, type PhoneFlow } from './phone-flows.js';
import { reRegisterRequest, type LastRegister } from './re-register.js';
import { answerFailbackChallenge, type Ha1Lookup } from './failback-auth.js';
import type { SipTunnelLink } from './sip-link.js';
import {
  TUNNEL_HOST, callIdOf, cseqOf, decrementMaxForwards, headerList, isSdp, mapContacts, phoneTag, prependHeader, setHeaderList, sipUri,
} from './sip-edit.js';
import { TwoXxRetransmitter } from './retransmit-2xx.js';
import { SharedSubscriptions } from './subscriptions.js';
import { CallIdMapper, swapNamedCallIds } from './call-id.js';
import { hideIpHosts, hostOf, mapFromToHosts, restoreFromTo } from './from-to.js';
import { BYE_GRACE_MS, newTunnelBranch, tokenOf } from './tokens.js';
import { hasCredentials, type SipAuthWatch } from './auth-watch.js';
import { TunnelDialogs } from './tunnel-dialogs.js';
import { RelayedCdrLog, type RelayedCallRecord } from './relayed-cdr.js';

/** Beyond the hub's resume window: the agent notices a loss a little before the hub does, and must not end calls the hub could still resume. */
export const RESUME_GRACE_MS = 5_000;

export interface AgentCallPathOptions {
  readonly clock: Clock;
  readonly stack: SipStack;
  readonly media: CallMedia;
  readonly registrations: RegistrationCache;
  /** Lifetime asked of the PBX for a shared subscription (BLF, presence, MWI), seconds. Default 600. */
  readonly subscriptionExpires?: number;
  readonly logger?: Logger;
  /** Told of each phone request and the answer it got, to count failed digests per source. */
  readonly authWatch?: SipAuthWatch;
  /** A call detail record of each relayed call, as the branch saw it (relayed-cdr.ts); `agent` is the SBC name. */
  readonly callRecords?: { readonly agent: string; readonly onCdr: (record: RelayedCallRecord) => void };
}

export type { PhoneFlow } from './phone-flows.js';

interface Upstream {
  readonly incoming: ServerRequest;
  readonly target: TransportTarget;
  readonly phoneExpires: number | undefined;
  /** A failback re-registration (no phone waits for it): told the final status. */
  readonly reRegistered?: (status: number) => void;
  /** A failback re-registration that may answer one challenge with the model's HA1 (failback-auth.ts). */
  readonly failbackAuth?: { readonly token: string; readonly ha1For: Ha1Lookup };
}

interface Downstream {
  readonly fromHub: SipRequest;
  readonly sent: SipRequest;
  readonly target: TransportTarget;
  mediaTag: string;
}

export class AgentCallPath {
  readonly #o: AgentCallPathOptions;
  readonly #log: Logger;
  /** Contact token → the phone's contact and flow, and its last REGISTER relayed upstream (failback re-registers it); idle ones expire. */
  readonly #phones: PhoneFlows;
  readonly #upstream = new Map<string, Upstream>();
  /** Phone INVITE branch → tunnel branch, for CANCEL (RFC 3261 §9.1: the CANCEL has the INVITE's branch). */
  readonly #cancelable = new Map<string, string>();
  readonly #downstream = new Map<string, Downstream>();
  #link: SipTunnelLink | undefined;
  readonly #retransmit: TwoXxRetransmitter;
  readonly #subscriptions: SharedSubscriptions;
  readonly #callIds = new CallIdMapper();
  /** Calls up through the tunnel, as their phones see them: ended with a BYE once their far side is gone. */
  readonly #tunnelDialogs: TunnelDialogs;
  readonly #records: RelayedCdrLog | undefined;
  readonly #counters = { fromPhones: 0, fromTunnel: 0, unroutable: 0, tunnelDown: 0, refusedDraining: 0 };
  #draining = false;

  constructor(options: AgentCallPathOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#retransmit = new TwoXxRetransmitter(options.clock);
    this.#subscriptions = new SharedSubscriptions({
      clock: options.clock,
      sendUp: (m) => this.#link !== undefined && !this.#link.closed && this.#link.send(m),
      requestDown: (request, target) => options.stack.request(request, target),
      newVia: (transport) => options.stack.newVia(transport),
      lanContact: (transport, user) => this.#lanContact(transport, user),
      admit: (incoming) => this.#registeredHost(incoming.source.address),
      ...(options.subscriptionExpires === undefined ? {} : { upstreamExpires: options.subscriptionExpires }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    this.#tunnelDialogs = new TunnelDialogs({ clock: options.clock, stack: options.stack, logger: this.#log });
    this.#records = options.callRecords === undefined ? undefined : new RelayedCdrLog({ clock: options.clock, ...options.callRecords });
    this.#phones = new PhoneFlows({ clock: options.clock, inUse: () => this.#tokensInUse() });
    options.stack.onRequest((incoming) => this.#fromPhone(incoming));
  }

  /** The SIP stream of the current tunnel session (a new one after a session is replaced). */
  attach(link: SipTunnelLink): void {
    // A new session (not a resume) lost what was in flight on the old stream: fail those requests now.
    if (this.#link !== undefined && this.#link !== link) {
      for (const up of this.#upstream.values()) up.incoming.respond(buildResponse(up.incoming.request, 503, 'Tunnel Reset'));
      this.#upstream.clear();
      this.#cancelable.clear();
      this.#subscriptions.reset();
      // A new session: the hub did not resume the old one (its resume window passed, or it restarted), so the far side of every call is gone.
      this.#tunnelDialogs.endAll('the tunnel session was not resumed');
    }
    this.#tunnelDialogs.back();
    this.#link = link;
    link.onMessage((m) => this.#fromTunnel(m, link));
  }

  /**
   * The tunnel path is lost: calls through it are kept for the hub's resume window (plus a grace,
   * so never before the hub gives up on the session), then ended with a BYE to their phones.
   */
  tunnelLost(resumeWindowMs: number): void {
    this.#tunnelDialogs.lost(resumeWindowMs + RESUME_GRACE_MS);
  }

  /** The tunnel session is open again (resumed: the calls go on). */
  tunnelBack(): void {
    this.#tunnelDialogs.back();
  }

  /** Calls up through the tunnel (dialogs the agent would end if their far side were gone). */
  get tunnelCalls(): number {
    return this.#tunnelDialogs.size;
  }

  get counters(): Readonly<Record<'fromPhones' | 'fromTunnel' | 'unroutable' | 'tunnelDown' | 'refusedDraining', number>> {
    return this.#counters;
  }

  /**
   * Drain: new calls, from a phone or from the hub, get 503 with Retry-After (RFC 3261 §21.5.4);
   * dialogs that exist go on (their requests carry a To tag), and so do registrations.
   */
  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** A new call while draining: true when it was refused here. */
  #refuseNewCall(request: SipRequest, respond: (response: SipResponse) => void): boolean {
    if (!this.#draining || request.method !== 'INVITE' || phoneTag(request, false) !== undefined) return false;
    this.#counters.refusedDraining++;
    respond(buildResponse(request, 503, 'Draining', [{ name: 'Retry-After', value: '60' }]));
    return true;
  }

  /** Shared subscriptions (one upstream SUBSCRIBE per watched resource). */
  get subscriptions(): SharedSubscriptions {
    return this.#subscriptions;
  }

  phones(): { token: string; uri: string; target: TransportTarget }[] {
    return this.#phones.flows().map(([token, p]) => ({ token, ...p }));
  }

  #lanContact(transport: SipTransportName, user: string): string {
    const t = transport === 'UDP' ? '' : `;transport=${transport.toLowerCase()}`;
    return `sip:${user}@${this.#o.stack.hostPort(transport)}${t}`;
  }

  /** A phone's contact → the agent's token for it (and the flow it is reached on). */
  #phoneContact(uri: string, source: ServerRequest['source']): string {
    const target: TransportTarget = { transport: source.transport, host: source.address, port: source.port, ...(source.flowId === undefined ? {} : { flowId: source.flowId }) };
    const token = `a-${tokenOf(`${uri}|${target.transport}|${target.host}|${target.port}`)}`;
    this.#phones.setFlow(token, { uri, target });
    return `sip:${token}@${TUNNEL_HOST}`;
  }

  /** What keeps a contact token: a binding the PBX may still send to, or a call up through the tunnel on its flow. */
  #tokensInUse(): (token: string, flow: PhoneFlow | undefined) => boolean {
    const bound = new Set(this.#o.registrations.tokensInUse());
    const flowKey = (t: TransportTarget): string => `${t.transport}|${t.host}|${t.port}`;
    const calling = new Set(this.#tunnelDialogs.targets().map(flowKey));
    return (token, flow) => bound.has(token) || (flow !== undefined && calling.has(flowKey(flow.target)));
  }

  /**
   * A phone's request handed in by a dispatcher that owns the stack's request callback (the
   * agent's survival dispatch, `agent.calls: auto`): handled as if it came from the stack.
   */
  receive(incoming: ServerRequest): void {
    this.#fromPhone(incoming);
  }

  /** The last REGISTER relayed upstream for a contact token (kept across restarts: relayed-state.ts). */
  lastRegisterOf(token: string): LastRegister | undefined {
    return this.#phones.lastRegister(token);
  }

  /** A phone's flow and its last REGISTER as stored before a restart: survival and failback find it again. */
  restorePhone(token: string, flow: PhoneFlow, last: LastRegister | undefined): void {
    this.#phones.setFlow(token, flow);
    if (last !== undefined) this.#phones.setLastRegister(token, last);
  }

  /**
   * Failback (issue 12): the last REGISTER of the phone contact `token` sent upstream again as a
   * new registration (re-register.ts); `done` gets the registrar's final status. False when there
   * is no such REGISTER or no tunnel. With `ha1For` (the routing model's HA1s), a challenge is
   * answered once with them.
   */
  reRegister(token: string, phoneExpires: number, done: (status: number) => void, ha1For?: Ha1Lookup): boolean {
    const last = this.#phones.lastRegister(token);
    const link = this.#link;
    if (last === undefined || link === undefined || link.closed) return false;
    const branch = newTunnelBranch();
    const again = reRegisterRequest(last, branch);
    const source = again.source;
    const incoming: ServerRequest = { request: again.fromPhone, source, respond: () => {} };
    this.#phones.setLastRegister(token, again);
    this.#upstream.set(branch, {
      incoming, target: { transport: source.transport, host: source.address, port: source.port }, phoneExpires, reRegistered: done,
      ...(ha1For === undefined ? {} : { failbackAuth: { token, ha1For } }),
    });
    link.send(again.sent);
    return true;
  }

  // ---------------------------------------------------------------- phone → tunnel

  #fromPhone(incoming: ServerRequest): void {
    const { request } = incoming;
    this.#counters.fromPhones++;
    this.#o.authWatch?.sipRequest(incoming.source.address, callIdOf(request), hasCredentials(request));
    if (request.method === 'OPTIONS' && this.#isForUs(request)) {
      incoming.respond(buildResponse(request, 200, undefined, [{ name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, SUBSCRIBE, NOTIFY, MESSAGE, REGISTER' }]));
      return;
    }
    if (request.method === 'SUBSCRIBE' && this.#subscriptions.fromPhone(incoming)) return;
    if (request.method === 'BYE') this.#tunnelDialogs.ended(callIdOf(request));
    if (this.#refuseNewCall(request, (r) => incoming.respond(r))) return;
    this.#records?.request('phone', request);
    void this.#forwardUp(this.#tunnelSide(incoming)).catch((error: unknown) => {
      this.#log.warn({ err: error, method: request.method }, 'request from a phone not forwarded');
      if (request.method !== 'ACK') incoming.respond(buildResponse(request, 500));
    });
  }

  /**
   * The phone's request as the tunnel side sees it: its Call-ID swapped (call-id.ts), and the
   * answers given back with the phone's own Call-ID. Everything past this point (media keys, the
   * registration cache, 2xx retransmission) speaks tunnel-side Call-IDs.
   */
  #tunnelSide(incoming: ServerRequest): ServerRequest {
    const phoneCallId = callIdOf(incoming.request);
    const swapped = hideIpHosts(swapNamedCallIds(incoming.request.headers, (id) => this.#callIds.swap(id)), TUNNEL_HOST);
    const request: SipRequest = { ...incoming.request, headers: withHeader(swapped, 'Call-ID', this.#callIds.swap(phoneCallId)) };
    const original = incoming.request;
    return {
      request, source: incoming.source,
      respond: (r) => {
        const toPhone: SipResponse = { ...r, headers: withHeader(restoreFromTo(r.headers, original), 'Call-ID', phoneCallId) };
        this.#records?.response(original.method, toPhone);
        incoming.respond(toPhone);
      },
    };
  }

  /**
   * A host with a live registration through the agent (its phone passed the PBX's digest): its
   * SUBSCRIBEs may join a shared subscription the PBX authorized for another phone. Any other
   * host's SUBSCRIBE is relayed one to one, so the PBX judges it.
   */
  #registeredHost(address: string): boolean {
    const now = this.#o.clock.now();
    return this.#o.registrations.list().some((b) => b.expiresAt > now && this.#phones.peek(b.token)?.target.host === address);
  }

  /** From/To hosts of the PBX side (IP literals, the tunnel host) become the agent's LAN address (from-to.ts). */
  #hideForPhone(headers: readonly SipHeader[], transport: SipTransportName): SipHeader[] {
    const lan = hostOf(this.#o.stack.hostPort(transport));
    return mapFromToHosts(headers, (h) => (h === TUNNEL_HOST || isIpLiteral(h) ? lan : undefined));
  }

  #isForUs(request: SipRequest): boolean {
    const uri = sipUri(request.uri);
    return uri !== undefined && uri.user === undefined && headerList(request, 'Route').length === 0;
  }

  async #forwardUp(incoming: ServerRequest): Promise<void> {
    const { request, source } = incoming;
    const link = this.#link;
    if (request.method === 'CANCEL') return this.#cancelUp(incoming, link);
    if (request.method === 'ACK') this.#retransmit.ack(TwoXxRetransmitter.key(callIdOf(request), cseqOf(request).seq));
    if (link === undefined || link.closed) {
      this.#counters.tunnelDown++;
      if (request.method !== 'ACK') incoming.respond(buildResponse(request, 503, 'Tunnel Down'));
      return;
    }
    const headers0 = decrementMaxForwards(request);
    if (headers0 === undefined) {
      incoming.respond(buildResponse(request, 483));
      return;
    }
    let contactToken: string | undefined;
    let phoneContact: string | undefined;
    let headers = mapContacts(headers0, (uri) => {
      phoneContact = uri;
      const mapped = this.#phoneContact(uri, source);
      contactToken = sipUri(mapped)?.user;
      return mapped;
    });
    let phoneExpires: number | undefined;
    if (request.method === 'REGISTER' && contactToken !== undefined && phoneContact !== undefined) {
      phoneExpires = requestedExpires(request);
      const cached = this.#o.registrations.answerable(request, contactToken);
      if (cached !== undefined) {
        incoming.respond(buildResponse(request, 200, undefined, [{ name: 'Contact', value: `<${phoneContact}>;expires=${phoneExpires ?? 0}` }]));
        return;
      }
      // Ask the registrar for the longer upstream lifetime (RFC 3261 §10.2.1.1).
      if (phoneExpires !== undefined && phoneExpires > 0) {
        const up = Math.max(phoneExpires, this.#o.registrations.upstreamExpires);
        headers = withHeader(mapContacts(headers, (u) => u).map((h) => (h.name === 'Contact' ? { ...h, value: h.value.replace(/;expires=\d+/i, '') } : h)), 'Expires', String(up));
      }
    }
    // The phone reaches us as its outbound proxy: its Route set names only us (RFC 3261 §16.4).
    headers = withoutHeader(headers, 'Route');
    const branch = newTunnelBranch();
    headers = setHeaderList(headers, 'Via', [`SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}`]);
    let body = request.body;
    if (isSdp(request)) body = await this.#sdpUp(request, source.address, link);
    const uri = this.#upstreamUri(request.uri);
    const out: SipRequest = { ...request, uri, headers, body };
    if (request.method === 'BYE') this.#o.media.release(callIdOf(request), phoneTag(request, true), BYE_GRACE_MS);
    if (request.method === 'REGISTER' && contactToken !== undefined) this.#phones.setLastRegister(contactToken, { fromPhone: request, sent: out, source });
    if (request.method !== 'ACK') {
      const target: TransportTarget = { transport: source.transport, host: source.address, port: source.port };
      this.#upstream.set(branch, { incoming, target, phoneExpires });
      if (request.method === 'INVITE') {
        const phoneBranch = getViaBranch(topVia(request));
        if (phoneBranch !== undefined) this.#cancelable.set(phoneBranch, branch);
      }
    }
    link.send(out);
  }

  /** sip:h-TOKEN@<agent> (a contact the hub minted, given to the phone by us) → sip:h-TOKEN@tunnel.invalid. */
  #upstreamUri(uri: string): string {
    const parsed = sipUri(uri);
    if (parsed?.user?.startsWith('h-') === true) return `sip:${parsed.user}@${TUNNEL_HOST}`;
    return uri;
  }

  async #sdpUp(message: SipMessage, signalingAddress: string, link: SipTunnelLink): Promise<Buffer> {
    const tag = phoneTag(message, true);
    if (tag === undefined) return message.body;
    const sd = await this.#o.media.fromEdge(callIdOf(message), tag, parseSdp(message.body), link.channels, signalingAddress);
    return Buffer.from(serializeSdp(sd));
  }

  #cancelUp(incoming: ServerRequest, link: SipTunnelLink | undefined): void {
    const { request } = incoming;
    const phoneBranch = getViaBranch(topVia(request));
    const branch = phoneBranch === undefined ? undefined : this.#cancelable.get(phoneBranch);
    if (branch === undefined || link === undefined) {
      incoming.respond(buildResponse(request, 481));
      return;
    }
    incoming.respond(buildResponse(request, 200));
    const headers = setHeaderList(withoutHeader(request.headers, 'Route'), 'Via', [`SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}`]);
    link.send({ ...request, uri: this.#upstreamUri(request.uri), headers });
  }

  // ---------------------------------------------------------------- tunnel → phone

  #fromTunnel(message: SipMessage, link: SipTunnelLink): void {
    this.#counters.fromTunnel++;
    if (this.#subscriptions.fromTunnel(message)) return;
    // MWI the PBX sends on its own: its lamp state is what survival tells a phone that subscribes (issue 12).
    if (message.kind === 'request') this.#subscriptions.noteRelayedNotify(message);
    const task = message.kind === 'response' ? this.#responseDown(message, link) : this.#requestDown(message, link);
    void task.catch((error: unknown) => this.#log.warn({ err: error }, 'message from the tunnel not delivered'));
  }

  async #responseDown(response: SipResponse, link: SipTunnelLink): Promise<void> {
    const branch = getViaBranch(topVia(response));
    const up = branch === undefined ? undefined : this.#upstream.get(branch);
    if (up === undefined || branch === undefined) return;
    const { request } = up.incoming;
    // The phone's own Call-ID (opened back), the key its request was watched under.
    if (up.reRegistered !== undefined) return this.#reRegistered(response, branch, up, up.reRegistered);
    if (response.status >= 200) this.#o.authWatch?.sipResponse(up.incoming.source.address, this.#callIds.swap(callIdOf(request)), request.method, hasCredentials(request), response.status);
    if (response.status >= 200) {
      this.#upstream.delete(branch);
      const phoneBranch = getViaBranch(topVia(request));
      if (phoneBranch !== undefined) this.#cancelable.delete(phoneBranch);
    }
    let headers = prependHeader(withoutHeader(withoutHeader(response.headers, 'Via'), 'Record-Route'), 'Via', headerList(request, 'Via'));
    headers = mapContacts(headers, (uri) => this.#hubContactForPhone(uri, up.target.transport));
    if (request.method === 'REGISTER' && response.status >= 200 && response.status < 300) headers = this.#registered(request, response, headers, up);
    let body = response.body;
    const callId = callIdOf(response);
    if (isSdp(response)) {
      const tag = phoneTag(response, false);
      if (tag !== undefined) body = Buffer.from(serializeSdp(await this.#o.media.toEdge(callId, tag, parseSdp(response.body), link.channels)));
    }
    if (request.method === 'INVITE' && response.status >= 300) this.#o.media.release(callId, phoneTag(response, false));
    const toPhone: SipResponse = { ...response, headers, body };
    up.incoming.respond(toPhone);
    if (request.method === 'INVITE' && response.status >= 200 && response.status < 300) this.#phoneCalled(request, response, up.target, callId, phoneTag(response, false));
    if (request.method === 'INVITE' && response.status < 300 && response.status >= 200 && up.incoming.source.transport === 'UDP') {
      this.#retransmit.start(TwoXxRetransmitter.key(callId, cseqOf(request).seq), () => up.incoming.respond(toPhone));
    }
  }

  /** The answer to a failback re-registration: stored like a phone's (for its own flow), no phone told. */
  #reRegistered(response: SipResponse, branch: string, up: Upstream, done: (status: number) => void): void {
    if (response.status < 200) return;
    this.#upstream.delete(branch);
    if (up.failbackAuth !== undefined && this.#answerFailbackChallenge(response, up, up.failbackAuth)) return;
    if (response.status < 300) this.#registered(up.incoming.request, response, response.headers, up);
    done(response.status);
  }

  /** A failback REGISTER's challenge answered once with the model's HA1 (failback-auth.ts): true when sent. */
  #answerFailbackChallenge(response: SipResponse, up: Upstream, auth: { readonly token: string; readonly ha1For: Ha1Lookup }): boolean {
    const last = this.#phones.lastRegister(auth.token);
    const link = this.#link;
    if (last === undefined || link === undefined || link.closed) return false;
    const branch = newTunnelBranch();
    const again = answerFailbackChallenge(last, response, branch, auth.ha1For);
    if (again === undefined) return false;
    this.#phones.setLastRegister(auth.token, again);
    // Once: a second challenge is the registrar's refusal, handed to `done` as it is.
    this.#upstream.set(branch, { incoming: { ...up.incoming, request: again.fromPhone }, target: up.target, phoneExpires: up.phoneExpires, ...(up.reRegistered === undefined ? {} : { reRegistered: up.reRegistered }) });
    link.send(again.sent);
    return true;
  }

  /** Upstream granted `expires` for our token contact; the phone is told its own lifetime back. */
  #registered(request: SipRequest, response: SipResponse, headers: ReturnType<typeof mapContacts>, up: Upstream): ReturnType<typeof mapContacts> {
    const phoneContact = headerList(request, 'Contact')[0];
    const phoneUri = phoneContact === undefined ? undefined : sipUri(phoneContact.replace(/^[^<]*<([^>]*)>.*$/, '$1'));
    if (phoneContact === undefined || phoneUri === undefined) return headers;
    const token = sipUri(this.#phoneContact(phoneContact.replace(/^[^<]*<([^>]*)>.*$/, '$1'), up.incoming.source))?.user ?? '';
    const ours = headerList(response, 'Contact').find((c) => c.includes(token));
    const grantedMatch = ours === undefined ? undefined : /;expires=(\d+)/i.exec(ours);
    const granted = grantedMatch?.[1] === undefined ? Number(getHeader(response, 'Expires') ?? 0) : Number(grantedMatch[1]);
    const phoneExpires = Math.min(up.phoneExpires ?? granted, granted);
    this.#o.registrations.store(request, phoneContact.replace(/^[^<]*<([^>]*)>.*$/, '$1'), token, granted, phoneExpires);
    // The phone sees only its own binding, with the lifetime it asked for (it keeps refreshing at its pace).
    return setHeaderList(withoutHeader(headers, 'Expires'), 'Contact', phoneExpires > 0 ? [`${phoneContact.replace(/;expires=\d+/i, '')};expires=${phoneExpires}`] : []);
  }

  #hubContactForPhone(uri: string, transport: SipTransportName): string {
    const parsed = sipUri(uri);
    if (parsed?.user !== undefined && parsed.host === TUNNEL_HOST && parsed.user.startsWith('h-')) return this.#lanContact(transport, parsed.user);
    return uri;
  }

  async #requestDown(request: SipRequest, link: SipTunnelLink): Promise<void> {
    const uri = sipUri(request.uri);
    const phone = uri?.user === undefined ? undefined : this.#phones.flow(uri.user);
    const hubBranch = getViaBranch(topVia(request)) ?? '';
    if (request.method === 'CANCEL') return this.#cancelDown(request, hubBranch, link);
    if (this.#refuseNewCall(request, (r) => link.send(r))) return;
    if (phone === undefined) {
      this.#counters.unroutable++;
      if (request.method !== 'ACK') link.send(buildResponse(request, 404, 'Unknown Contact'));
      return;
    }
    const transport = phone.target.transport;
    let headers = withoutHeader(withoutHeader(withoutHeader(request.headers, 'Route'), 'Record-Route'), 'Via');
    headers = prependHeader(headers, 'Via', [this.#o.stack.newVia(transport)]);
    headers = mapContacts(headers, (u) => this.#hubContactForPhone(u, transport));
    const callId = callIdOf(request);
    const existingTag = phoneTag(request, false);
    const mediaTag = existingTag ?? `pending:${hubBranch}`;
    let body = request.body;
    if (isSdp(request)) body = Buffer.from(serializeSdp(await this.#o.media.toEdge(callId, mediaTag, parseSdp(request.body), link.channels)));
    const sent: SipRequest = { ...request, uri: phone.uri, headers: withHeader(this.#hideForPhone(swapNamedCallIds(headers, (id) => this.#callIds.swap(id)), transport), 'Call-ID', this.#callIds.swap(callId)), body };
    if (request.method === 'BYE') this.#o.media.release(callId, existingTag, BYE_GRACE_MS);
    this.#records?.request('far', sent);
    if (request.method === 'BYE') this.#tunnelDialogs.ended(callIdOf(sent));
    else if (existingTag !== undefined) this.#tunnelDialogs.farRequest(sent);
    if (request.method === 'ACK') {
      await this.#o.stack.sendStateless(sent, phone.target);
      return;
    }
    const down: Downstream = { fromHub: request, sent, target: phone.target, mediaTag };
    this.#downstream.set(hubBranch, down);
    const relay = (response: SipResponse): void => void this.#responseUp(response, down, link).catch((error: unknown) => this.#log.warn({ err: error }, 'response not relayed'));
    try {
      const final = await this.#o.stack.request(sent, phone.target, relay);
      relay(final);
    } catch (error) {
      this.#log.info({ err: error, method: request.method }, 'phone did not answer');
      this.#records?.response(request.method, buildResponse(sent, 408));
      link.send(buildResponse(request, 408));
    } finally {
      this.#downstream.delete(hubBranch);
    }
  }

  async #responseUp(response: SipResponse, down: Downstream, link: SipTunnelLink): Promise<void> {
    this.#records?.response(down.fromHub.method, response);
    if (down.fromHub.method === 'INVITE' && phoneTag(down.fromHub, false) === undefined && response.status >= 200 && response.status < 300) this.#phoneAnswered(response, down);
    response = { ...response, headers: withHeader(restoreFromTo(response.headers, down.fromHub), 'Call-ID', callIdOf(down.fromHub)) };
    let headers = prependHeader(withoutHeader(response.headers, 'Via'), 'Via', headerList(down.fromHub, 'Via'));
    headers = mapContacts(headers, (uri) => this.#phoneContact(uri, { transport: down.target.transport, address: down.target.host, port: down.target.port, ...(down.target.flowId === undefined ? {} : { flowId: down.target.flowId }) }));
    const callId = callIdOf(response);
    const tag = phoneTag(response, true);
    if (tag !== undefined && down.mediaTag !== tag) {
      this.#o.media.rekey(callId, down.mediaTag, tag);
      down.mediaTag = tag;
    }
    let body = response.body;
    if (isSdp(response) && tag !== undefined) {
      body = Buffer.from(serializeSdp(await this.#o.media.fromEdge(callId, tag, parseSdp(response.body), link.channels, down.target.host)));
    }
    if (down.fromHub.method === 'INVITE' && response.status >= 300) this.#o.media.release(callId, down.mediaTag);
    link.send({ ...response, headers, body });
  }

  /** A phone's INVITE got its 2xx through the tunnel: the phone's dialog is kept (tunnel-dialogs.ts). */
  #phoneCalled(request: SipRequest, response: SipResponse, target: TransportTarget, tunnelCallId: string, mediaTag: string | undefined): void {
    // The request as the phone sent it (Call-ID aside): its Contact is the phone's own.
    const phoneUri = getHeader(request, 'Contact')?.replace(/^[^<]*<([^>]*)>.*$/, '$1');
    const far = getHeader(response, 'To');
    const phone = getHeader(request, 'From');
    if (phoneUri === undefined || far === undefined || phone === undefined) return;
    const phoneCallId = this.#callIds.swap(tunnelCallId);
    this.#tunnelDialogs.add({
      callId: phoneCallId, far, phone, phoneTarget: phoneUri, target, farCSeq: 0,
      onEnded: () => {
        this.#o.media.release(tunnelCallId, mediaTag);
        this.#records?.agentEnded(phoneCallId);
      },
    });
  }

  /** A phone answered an INVITE from the tunnel with a 2xx: its dialog is kept (tunnel-dialogs.ts). */
  #phoneAnswered(response: SipResponse, down: Downstream): void {
    const contact = getHeader(response, 'Contact')?.replace(/^[^<]*<([^>]*)>.*$/, '$1');
    const far = getHeader(down.sent, 'From');
    const phone = getHeader(response, 'To');
    if (contact === undefined || far === undefined || phone === undefined) return;
    const tunnelCallId = callIdOf(down.fromHub);
    const tag = phoneTag(response, true);
    this.#tunnelDialogs.add({
      callId: callIdOf(down.sent), far, phone, phoneTarget: contact, target: down.target, farCSeq: cseqOf(down.sent).seq,
      onEnded: () => {
        this.#o.media.release(tunnelCallId, tag);
        this.#records?.agentEnded(callIdOf(down.sent));
      },
    });
  }

  #cancelDown(cancel: SipRequest, hubBranch: string, link: SipTunnelLink): void {
    const down = this.#downstream.get(hubBranch);
    link.send(buildResponse(cancel, down === undefined ? 481 : 200));
    if (down === undefined) return;
    const via = headerList(down.sent, 'Via')[0] ?? '';
    const { seq } = cseqOf(down.sent);
    const headers = [
      { name: 'Via', value: formatVia(parseVia(via)) },
      { name: 'Max-Forwards', value: '70' },
      ...['From', 'To', 'Call-ID'].map((name) => ({ name, value: getHeader(down.sent, name) ?? '' })),
      { name: 'CSeq', value: `${seq} CANCEL` },
    ];
    const request: SipRequest = { kind: 'request', version: 'SIP/2.0', method: 'CANCEL', uri: down.sent.uri, headers, body: Buffer.alloc(0) };
    this.#records?.request('far', request);
    this.#o.stack.request(request, down.target).catch(() => {});
  }

  close(): void {
    this.#records?.close();
    this.#tunnelDialogs.close();
    this.#retransmit.close();
    this.#subscriptions.close();
    this.#upstream.clear();
    this.#downstream.clear();
    this.#cancelable.clear();
    this.#phones.clear();
    this.#o.media.close();
  }
}
