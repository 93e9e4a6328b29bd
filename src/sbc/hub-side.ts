/**
 * The hub side of the call path: presents every branch to the PBX as one well-behaved SIP peer
 * at the hub's own address. Contact rewriting (not Path, RFC 3327): the PBX stores
 * `sip:<agent>~a-<token>@<hub>` as the phone's contact, so it needs no Path support and every
 * request for a phone comes to the hub, which picks the agent from the user part. Contacts the
 * PBX side sends toward the phones become `sip:h-<token>@tunnel.invalid`, the token holding the
 * PBX-side target and the route set (RFC 3261 §12.1), so in-dialog requests from the phones go
 * back through the PBX's Record-Route path while the phones never see it. Transaction-stateful:
 * each hop's Vias stay on its own side of the hub.
 */
import { silentLogger, type Clock, type Logger } from '../core/index.js';
import { parseSdp, serializeSdp } from '../sdp/index.js';
import {
  buildResponse, formatVia, getHeader, getViaBranch, parseNameAddr, parseVia, topVia, withoutHeader,
  type ServerRequest, type SipMessage, type SipRequest, type SipResponse, type SipStack, type SipTransportName, type TransportTarget,
} from '../sip/index.js';
import type { CallMedia } from './call-media.js';
import type { SipTunnelLink } from './sip-link.js';
import {
  TUNNEL_HOST, callIdOf, cseqOf, decrementMaxForwards, headerList, isSdp, mapContacts, phoneTag, prependHeader, setHeaderList, sipUri,
} from './sip-edit.js';
import { hostOf, mapFromToHosts } from './from-to.js';
import { TwoXxRetransmitter } from './retransmit-2xx.js';
import { BYE_GRACE_MS, newTunnelBranch, tokenOf } from './tokens.js';

export interface HubCallPathOptions {
  readonly clock: Clock;
  readonly stack: SipStack;
  readonly media: CallMedia;
  /** Where out-of-dialog requests from the phones go. */
  readonly pbx: TransportTarget;
  readonly logger?: Logger;
  /** Upper bound of remembered PBX-side contacts (FIFO). Default 100,000. */
  readonly maxContacts?: number;
}

interface PbxContact {
  readonly uri: string;
  readonly routeSet: readonly string[];
}

interface Upstream {
  readonly agent: string;
  readonly fromAgent: SipRequest;
  readonly sent: SipRequest;
  readonly target: TransportTarget;
}

interface Downstream {
  readonly incoming: ServerRequest;
  readonly agent: string;
  readonly branch: string;
  mediaTag: string;
}

/** The agent key in contacts: the agent identity with only URI-user-safe characters. */
export function agentKeyOf(identity: string): string {
  return identity.replace(/[^A-Za-z0-9.-]/g, '-');
}

export class HubCallPath {
  readonly #o: HubCallPathOptions;
  readonly #log: Logger;
  readonly #links = new Map<string, SipTunnelLink>();
  readonly #contacts = new Map<string, PbxContact>();
  /** Tunnel branch (per agent) → the request sent to the PBX. */
  readonly #upstream = new Map<string, Upstream>();
  /** PBX INVITE branch → the request sent down the tunnel (for CANCEL). */
  readonly #downstream = new Map<string, Downstream>();
  readonly #counters = { fromAgents: 0, fromPbx: 0, unroutable: 0 };
  readonly #retransmit: TwoXxRetransmitter;

  constructor(options: HubCallPathOptions) {
    this.#o = options;
    this.#retransmit = new TwoXxRetransmitter(options.clock);
    this.#log = options.logger ?? silentLogger;
    options.stack.onRequest((incoming) => {
      this.#counters.fromPbx++;
      void this.#fromPbx(incoming).catch((error: unknown) => {
        this.#log.warn({ err: error }, 'request from the PBX not relayed');
        if (incoming.request.method !== 'ACK') incoming.respond(buildResponse(incoming.request, 500));
      });
    });
  }

  /** A tunnel session of `identity` opened its SIP stream. */
  attach(identity: string, link: SipTunnelLink): void {
    const agent = agentKeyOf(identity);
    this.#links.set(agent, link);
    link.onMessage((m) => {
      this.#counters.fromAgents++;
      const task = m.kind === 'request' ? this.#fromAgent(agent, m, link) : this.#responseFromAgent(m);
      void task.catch((error: unknown) => this.#log.warn({ err: error, agent }, 'message from an agent not relayed'));
    });
  }

  detach(identity: string, link: SipTunnelLink): void {
    const agent = agentKeyOf(identity);
    if (this.#links.get(agent) === link) this.#links.delete(agent);
  }

  get counters(): Readonly<Record<'fromAgents' | 'fromPbx' | 'unroutable', number>> {
    return this.#counters;
  }

  get pbxTransport(): SipTransportName {
    return this.#o.pbx.transport;
  }

  #hubContact(agent: string, token: string): string {
    const t = this.pbxTransport === 'UDP' ? '' : `;transport=${this.pbxTransport.toLowerCase()}`;
    return `sip:${agent}~${token}@${this.#o.stack.hostPort(this.pbxTransport)}${t}`;
  }

  /** A PBX-side contact and its route set → a token the phones can send to. */
  #pbxContact(uri: string, routeSet: readonly string[]): string {
    const token = `h-${tokenOf(`${uri}|${routeSet.join(',')}`)}`;
    if (!this.#contacts.has(token) && this.#contacts.size >= (this.#o.maxContacts ?? 100_000)) {
      const oldest = this.#contacts.keys().next().value;
      if (oldest !== undefined) this.#contacts.delete(oldest);
    }
    this.#contacts.set(token, { uri, routeSet });
    return `sip:${token}@${TUNNEL_HOST}`;
  }

  /** One of our own contacts (a REGISTER 2xx lists the bindings): back to the agent's token. */
  #ownContact(uri: string): string | undefined {
    const p = sipUri(uri);
    const token = p?.user?.split('~')[1];
    if (p === undefined || token === undefined || !this.#links.has(p.user?.split('~')[0] ?? '')) return undefined;
    return `sip:${token}@${TUNNEL_HOST}`;
  }

  #targetOf(uri: string, routeSet: readonly string[]): TransportTarget {
    const first = routeSet[0];
    const next = sipUri(first === undefined ? uri : parseNameAddr(first).uri);
    if (next === undefined) return this.#o.pbx;
    const t = (next.params.get('transport') ?? 'udp').toUpperCase();
    const transport: SipTransportName = t === 'TCP' ? 'TCP' : t === 'TLS' ? 'TLS' : 'UDP';
    return { transport, host: next.host, port: next.port ?? (transport === 'TLS' ? 5061 : 5060) };
  }

  // ---------------------------------------------------------------- agent → PBX

  async #fromAgent(agent: string, request: SipRequest, link: SipTunnelLink): Promise<void> {
    const branch = getViaBranch(topVia(request)) ?? '';
    const key = `${agent} ${branch}`;
    if (request.method === 'CANCEL') return this.#cancelUp(key, request, link);
    let headers = decrementMaxForwards(request);
    if (headers === undefined) {
      link.send(buildResponse(request, 483));
      return;
    }
    let uri = request.uri;
    let target = this.#o.pbx;
    const ruri = sipUri(request.uri);
    if (ruri?.host === TUNNEL_HOST && ruri.user?.startsWith('h-') === true) {
      const contact = this.#contacts.get(ruri.user);
      if (contact === undefined) {
        this.#counters.unroutable++;
        if (request.method !== 'ACK') link.send(buildResponse(request, 404, 'Unknown Contact'));
        return;
      }
      uri = contact.uri;
      target = this.#targetOf(contact.uri, contact.routeSet);
      headers = setHeaderList(headers, 'Route', contact.routeSet);
    }
    headers = prependHeader(withoutHeader(headers, 'Via'), 'Via', [this.#o.stack.newVia(target.transport)]);
    headers = mapContacts(headers, (u) => {
      const p = sipUri(u);
      return p?.host === TUNNEL_HOST && p.user?.startsWith('a-') === true ? this.#hubContact(agent, p.user) : u;
    });
    const callKey = `${agent}/${callIdOf(request)}`;
    let body = request.body;
    const tag = phoneTag(request, true);
    if (isSdp(request) && tag !== undefined) body = Buffer.from(serializeSdp(await this.#o.media.toEdge(callKey, tag, parseSdp(request.body), link.channels)));
    if (request.method === 'BYE') this.#o.media.release(callKey, tag, BYE_GRACE_MS);
    // From/To hosts the agent hid (from-to.ts) become the hub's own address toward the PBX.
    const hubHost = hostOf(this.#o.stack.hostPort(target.transport));
    headers = mapFromToHosts(headers, (h) => (h === TUNNEL_HOST ? hubHost : undefined));
    const sent: SipRequest = { ...request, uri, headers, body };
    if (request.method === 'ACK') {
      await this.#o.stack.sendStateless(sent, target);
      return;
    }
    this.#upstream.set(key, { agent, fromAgent: request, sent, target });
    const relay = (response: SipResponse): void => void this.#responseToAgent(response, request, callKey, link).catch((error: unknown) => this.#log.warn({ err: error }, 'response not relayed'));
    try {
      relay(await this.#o.stack.request(sent, target, relay));
    } catch (error) {
      this.#log.info({ err: error, method: request.method }, 'no answer from the PBX');
      link.send(buildResponse(request, 408));
    } finally {
      this.#upstream.delete(key);
    }
  }

  async #responseToAgent(response: SipResponse, fromAgent: SipRequest, callKey: string, link: SipTunnelLink): Promise<void> {
    // §12.1.2: the UAC's route set is the Record-Route of the response, reversed.
    const routeSet = headerList(response, 'Record-Route').reverse();
    let headers = prependHeader(withoutHeader(withoutHeader(response.headers, 'Via'), 'Record-Route'), 'Via', headerList(fromAgent, 'Via'));
    // A REGISTER 2xx lists bindings (ours go back to the agent's tokens); any other Contact is a
    // remote target on the PBX side, even when it is one of ours (a branch phone calling another:
    // in-dialog requests still go through the PBX and back).
    headers = mapContacts(headers, (u) => (fromAgent.method === 'REGISTER' ? this.#ownContact(u) ?? u : this.#pbxContact(u, routeSet)));
    let body = response.body;
    const tag = phoneTag(response, false);
    if (isSdp(response) && tag !== undefined) {
      body = Buffer.from(serializeSdp(await this.#o.media.fromEdge(callKey, tag, parseSdp(response.body), link.channels)));
    }
    if (fromAgent.method === 'INVITE' && response.status >= 300) this.#o.media.release(callKey, tag);
    link.send({ ...response, headers, body });
  }

  #cancelUp(key: string, cancel: SipRequest, link: SipTunnelLink): void {
    const up = this.#upstream.get(key);
    link.send(buildResponse(cancel, up === undefined ? 481 : 200));
    if (up === undefined) return;
    this.#o.stack.request(cancelFor(up.sent), up.target).catch(() => {});
  }

  // ---------------------------------------------------------------- PBX → agent

  async #fromPbx(incoming: ServerRequest): Promise<void> {
    const { request } = incoming;
    const pbxBranch = getViaBranch(topVia(request)) ?? '';
    if (request.method === 'CANCEL') return this.#cancelDown(incoming, pbxBranch);
    if (request.method === 'ACK') this.#retransmit.ack(TwoXxRetransmitter.key(callIdOf(request), cseqOf(request).seq));
    const ruri = sipUri(request.uri);
    const [agent, token] = (ruri?.user ?? '').split('~');
    const link = agent === undefined ? undefined : this.#links.get(agent);
    if (request.method === 'OPTIONS' && ruri?.user === undefined) {
      incoming.respond(buildResponse(request, 200));
      return;
    }
    if (link === undefined || token === undefined || agent === undefined) {
      this.#counters.unroutable++;
      if (request.method !== 'ACK') incoming.respond(buildResponse(request, link === undefined && token !== undefined ? 480 : 404));
      return;
    }
    let headers = decrementMaxForwards(request);
    if (headers === undefined) {
      incoming.respond(buildResponse(request, 483));
      return;
    }
    // §12.1.1: the UAS's route set is the Record-Route of the request, in order.
    const routeSet = headerList(request, 'Record-Route');
    const branch = newTunnelBranch();
    headers = withoutHeader(withoutHeader(headers, 'Route'), 'Record-Route');
    headers = setHeaderList(headers, 'Via', [`SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}`]);
    headers = mapContacts(headers, (u) => this.#pbxContact(u, routeSet));
    const callKey = `${agent}/${callIdOf(request)}`;
    const existing = phoneTag(request, false);
    const mediaTag = existing ?? `pending:${branch}`;
    let body = request.body;
    if (isSdp(request)) {
      body = Buffer.from(serializeSdp(await this.#o.media.fromEdge(callKey, mediaTag, parseSdp(request.body), link.channels, incoming.source.address)));
    }
    if (request.method === 'BYE') this.#o.media.release(callKey, existing, BYE_GRACE_MS);
    const out: SipRequest = { ...request, uri: `sip:${token}@${TUNNEL_HOST}`, headers, body };
    if (request.method !== 'ACK') {
      this.#downstream.set(branch, { incoming, agent, branch, mediaTag });
      if (request.method === 'INVITE') this.#downstream.set(`pbx ${pbxBranch}`, { incoming, agent, branch, mediaTag });
    }
    link.send(out);
  }

  async #responseFromAgent(response: SipResponse): Promise<void> {
    const branch = getViaBranch(topVia(response)) ?? '';
    const down = this.#downstream.get(branch);
    if (down === undefined) return;
    const { request } = down.incoming;
    if (response.status >= 200) {
      this.#downstream.delete(branch);
      this.#downstream.delete(`pbx ${getViaBranch(topVia(request)) ?? ''}`);
    }
    const link = this.#links.get(down.agent);
    let headers = prependHeader(withoutHeader(response.headers, 'Via'), 'Via', headerList(request, 'Via'));
    // §12.1.1: a UAS copies the Record-Route of a dialog-creating request into its 1xx and 2xx.
    if (response.status > 100 && response.status < 300 && (request.method === 'INVITE' || request.method === 'SUBSCRIBE')) {
      headers = setHeaderList(headers, 'Record-Route', headerList(request, 'Record-Route'));
    }
    headers = mapContacts(headers, (u) => {
      const p = sipUri(u);
      return p?.host === TUNNEL_HOST && p.user?.startsWith('a-') === true ? this.#hubContact(down.agent, p.user) : u;
    });
    const callKey = `${down.agent}/${callIdOf(response)}`;
    const tag = phoneTag(response, true);
    if (tag !== undefined && tag !== down.mediaTag) {
      this.#o.media.rekey(callKey, down.mediaTag, tag);
      down.mediaTag = tag;
    }
    let body = response.body;
    if (isSdp(response) && tag !== undefined && link !== undefined) {
      body = Buffer.from(serializeSdp(await this.#o.media.toEdge(callKey, tag, parseSdp(response.body), link.channels)));
    }
    if (request.method === 'INVITE' && response.status >= 300) this.#o.media.release(callKey, down.mediaTag);
    const toPbx: SipResponse = { ...response, headers, body };
    down.incoming.respond(toPbx);
    if (request.method === 'INVITE' && response.status >= 200 && response.status < 300 && down.incoming.source.transport === 'UDP') {
      this.#retransmit.start(TwoXxRetransmitter.key(callIdOf(request), cseqOf(request).seq), () => down.incoming.respond(toPbx));
    }
  }

  #cancelDown(incoming: ServerRequest, pbxBranch: string): void {
    const down = this.#downstream.get(`pbx ${pbxBranch}`);
    incoming.respond(buildResponse(incoming.request, down === undefined ? 481 : 200));
    if (down === undefined) return;
    const link = this.#links.get(down.agent);
    const sent = down.incoming.request;
    const headers = [
      { name: 'Via', value: `SIP/2.0/TCP ${TUNNEL_HOST};branch=${down.branch}` },
      ...['From', 'To', 'Call-ID'].map((name) => ({ name, value: getHeader(sent, name) ?? '' })),
      { name: 'CSeq', value: `${cseqOf(sent).seq} CANCEL` },
      { name: 'Max-Forwards', value: '70' },
    ];
    const ruri = sipUri(sent.uri);
    const token = (ruri?.user ?? '').split('~')[1] ?? '';
    link?.send({ kind: 'request', version: 'SIP/2.0', method: 'CANCEL', uri: `sip:${token}@${TUNNEL_HOST}`, headers, body: Buffer.alloc(0) });
  }

  close(): void {
    this.#retransmit.close();
    this.#upstream.clear();
    this.#downstream.clear();
    this.#links.clear();
    this.#o.media.close();
  }
}

/** §9.1: a CANCEL has the Request-URI, Call-ID, To, From, CSeq number and the single Via of the request it cancels. */
export function cancelFor(sent: SipRequest): SipRequest {
  const via = headerList(sent, 'Via')[0] ?? '';
  const headers = [
    { name: 'Via', value: formatVia(parseVia(via)) },
    { name: 'Max-Forwards', value: '70' },
    ...['From', 'To', 'Call-ID'].map((name) => ({ name, value: getHeader(sent, name) ?? '' })),
    { name: 'CSeq', value: `${cseqOf(sent).seq} CANCEL` },
    ...headerList(sent, 'Route').map((value) => ({ name: 'Route', value })),
  ];
  return { kind: 'request', version: 'SIP/2.0', method: 'CANCEL', uri: sent.uri, headers, body: Buffer.alloc(0) };
}

export type { SipMessage };
