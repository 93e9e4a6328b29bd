/**
 * BLF while the agent controls calls itself (survival, local mode; issue 12): the agent is the
 * notifier of the dialog event package (RFC 4235) for its extensions. A phone's SUBSCRIBE with
 * `Event: dialog` for an extension gets 200 and an immediate NOTIFY (RFC 6665 §4.2.1.2); then the
 * calls the B2BUA runs are looked at when it reports a change (a fork ringing, an answer, an end)
 * and every LOOK_MS besides, and each watcher gets a NOTIFY (full state,
 * RFC 4235 §4.1) whenever its extension's dialogs change: early while it rings, confirmed once
 * answered, terminated once ended. Subscriptions end on expiry, on Expires: 0, when a NOTIFY is
 * refused with 481 or not answered, and all at once with reason `deactivated` when normal mode
 * returns, so the phones subscribe again through the PBX (RFC 6665 §4.1.3).
 *
 * MWI (RFC 3842 `message-summary`) is served the same way when `messageSummary` is given: the
 * phone gets 200 and a NOTIFY with the summary known for that mailbox (the agent's own box while it
 * holds messages, else the last summary the PBX sent: mailbox-lamps.ts), no body when none is
 * known (RFC 6665 §4.2.2: the state is then unknown, the phone keeps its lamp), a NOTIFY again
 * at each change of the agent's box (mailboxChanged), and the same `deactivated` end at failback.
 */
import { silentLogger, type Clock, type Logger, type Timer } from '../core/index.js';
import {
  buildResponse, getHeader, getTag, newTag, parseNameAddr, parseUri, isSipUri, subscriptionNotify,
  type ServerRequest, type SipEndpoint, type SipHeader, type SipRequest, type TransactionSource, type TransportTarget,
} from '../sip/index.js';
import type { ExtensionDialog } from './call-types.js';
import { DIALOG_INFO_CONTENT_TYPE, encodeDialogInfo, type DialogInfoDialog } from './dialog-info.js';
import { userOf } from './register-request.js';

/** How often the calls are compared with what each watcher was last told. */
export const LOOK_MS = 200;
/** The longest subscription granted, and the package default when Expires is absent (RFC 4235 §3.3: 3600 s). */
export const MAX_SUBSCRIBE_EXPIRES_S = 3600;
/** RFC 6665 §4.2.1.1: a shorter Expires may be refused with 423; below this it is. */
export const MIN_SUBSCRIBE_EXPIRES_S = 60;

export interface DialogWatchersOptions {
  readonly stack: Pick<SipEndpoint, 'request' | 'newVia' | 'hostPort'>;
  readonly clock: Clock;
  /** The calls' dialogs per extension now (B2bua.extensionDialogs). */
  readonly dialogs: () => readonly ExtensionDialog[];
  /** An extension of the model that may be watched. */
  readonly watchable: (extension: string) => boolean;
  /** The watcher is a phone registered from this flow as `user` (its From user). */
  readonly admit: (source: TransactionSource, user: string | undefined) => boolean;
  /** MWI in survival: the last message-summary known for a mailbox (the AOR's user part); absent: only `dialog` is served. */
  readonly messageSummary?: (user: string) => { readonly contentType: string; readonly body: Buffer } | undefined;
  readonly logger?: Logger;
}

/** The event packages served (RFC 6665 §8.2.1 tokens). */
type WatchedPackage = 'dialog' | 'message-summary';

interface Watcher {
  readonly event: WatchedPackage;
  readonly extension: string;
  readonly entity: string;
  readonly callId: string;
  readonly localTag: string;
  /** Our From (the SUBSCRIBE's To with our tag) and To (its From), RFC 6665 §4.2.2. */
  readonly from: string;
  readonly to: string;
  readonly remoteTarget: string;
  readonly target: TransportTarget;
  cseq: number;
  version: number;
  expiresAt: number;
  timer: Timer | undefined;
  /** Dialog id → state last sent (terminated ones are sent once, then forgotten). */
  told: Map<string, Pick<ExtensionDialog, 'state' | 'direction'>>;
  chain: Promise<void>;
}

export interface DialogWatchersCounters {
  readonly watchers: number;
  readonly subscribes: number;
  readonly refused: number;
  readonly notifies: number;
}

function key(callId: string, localTag: string): string {
  return `${callId}|${localTag}`;
}

function toTagOf(request: SipRequest): string | undefined {
  const to = getHeader(request, 'To');
  if (to === undefined) return undefined;
  try {
    return getTag(parseNameAddr(to));
  } catch {
    return undefined;
  }
}

function contactUri(request: SipRequest): string | undefined {
  const value = getHeader(request, 'Contact');
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

/** The watched extension: the Request-URI's user (RFC 6665 §4.1.2: the subscription's resource). */
function resourceOf(request: SipRequest): { extension: string; entity: string } | undefined {
  try {
    const uri = parseUri(request.uri);
    if (!isSipUri(uri) || uri.user === undefined || uri.user === '') return undefined;
    const extension = decodeURIComponent(uri.user);
    return { extension, entity: `sip:${extension}@${uri.host}` };
  } catch {
    return undefined;
  }
}

/** RFC 6665 §8.2.1: the event type token, parameters after ';' (RFC 4235 §3.1 "dialog", RFC 3842 §4 "message-summary"). */
function eventPackage(request: SipRequest): string {
  return (getHeader(request, 'Event') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Expires asked (RFC 6665 §4.1.2.1): absent → the package default; capped. Undefined when unreadable. */
function askedExpires(request: SipRequest): number | undefined {
  const raw = getHeader(request, 'Expires');
  if (raw === undefined) return MAX_SUBSCRIBE_EXPIRES_S;
  const n = Number(raw.trim());
  return Number.isInteger(n) && n >= 0 ? Math.min(n, MAX_SUBSCRIBE_EXPIRES_S) : undefined;
}

export class DialogWatchers {
  readonly #o: DialogWatchersOptions;
  readonly #log: Logger;
  readonly #watchers = new Map<string, Watcher>();
  readonly #counters = { subscribes: 0, refused: 0, notifies: 0 };
  #look: Timer | undefined;
  #closed = false;

  constructor(options: DialogWatchersOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  get counters(): DialogWatchersCounters {
    return { watchers: this.#watchers.size, ...this.#counters };
  }

  /** A SUBSCRIBE outside any dialog. */
  subscribe(incoming: ServerRequest): void {
    const { request, source } = incoming;
    const refuse = (status: number, reason?: string, headers: SipHeader[] = []): void => {
      this.#counters.refused++;
      incoming.respond(buildResponse(request, status, reason, headers));
    };
    if (this.#closed) return refuse(503, 'Shutting Down');
    const served: WatchedPackage[] = this.#o.messageSummary === undefined ? ['dialog'] : ['dialog', 'message-summary'];
    const event = served.find((p) => p === eventPackage(request));
    // RFC 6665 §4.2.1.1: an event package we do not serve is 489 with the ones we do.
    if (event === undefined) return refuse(489, 'Bad Event', [{ name: 'Allow-Events', value: served.join(', ') }]);
    const user = userOf(getHeader(request, 'From'));
    if (!this.#o.admit(source, user)) return refuse(403, 'Forbidden');
    const resource = resourceOf(request);
    // A phone's own mailbox is always its to watch, with or without a routing model.
    const mailbox = event === 'message-summary' && resource?.extension === user;
    if (resource === undefined || (!mailbox && !this.#o.watchable(resource.extension))) return refuse(404, 'Not Found');
    const expires = askedExpires(request);
    if (expires === undefined) return refuse(400, 'Bad Expires');
    if (expires > 0 && expires < MIN_SUBSCRIBE_EXPIRES_S) return refuse(423, 'Interval Too Brief', [{ name: 'Min-Expires', value: String(MIN_SUBSCRIBE_EXPIRES_S) }]);
    const from = getHeader(request, 'From');
    const callId = getHeader(request, 'Call-ID');
    if (from === undefined || callId === undefined) return refuse(400, 'Bad Request');
    this.#counters.subscribes++;
    const localTag = newTag();
    const w: Watcher = {
      event, extension: resource.extension, entity: resource.entity, callId, localTag,
      from: `${getHeader(request, 'To') ?? `<${resource.entity}>`};tag=${localTag}`, to: from,
      remoteTarget: contactUri(request) ?? request.uri,
      target: { transport: source.transport, host: source.address, port: source.port, ...(source.flowId === undefined ? {} : { flowId: source.flowId }) },
      cseq: 0, version: 0, expiresAt: this.#o.clock.now() + expires * 1000, timer: undefined, told: new Map(), chain: Promise.resolve(),
    };
    incoming.respond(this.#ok(request, w, expires));
    // RFC 6665 §4.2.1.2: the NOTIFY follows at once, also for a fetch (Expires: 0), which it then ends.
    if (expires === 0) {
      this.#notify(w, 'terminated;reason=timeout');
      return;
    }
    this.#watchers.set(key(callId, localTag), w);
    this.#arm(w);
    this.#notify(w, undefined);
    this.#look ??= this.#o.clock.setInterval(() => this.look(), LOOK_MS);
  }

  /** A SUBSCRIBE inside one of our subscriptions (a refresh, or Expires: 0 to end it): true when taken. */
  inDialog(incoming: ServerRequest): boolean {
    const { request } = incoming;
    if (request.method !== 'SUBSCRIBE') return false;
    const tag = toTagOf(request);
    const callId = getHeader(request, 'Call-ID');
    if (tag === undefined || callId === undefined) return false;
    const w = this.#watchers.get(key(callId, tag));
    if (w === undefined) return false;
    const expires = askedExpires(request);
    if (expires === undefined) {
      incoming.respond(buildResponse(request, 400, 'Bad Expires'));
      return true;
    }
    w.expiresAt = this.#o.clock.now() + expires * 1000;
    incoming.respond(this.#ok(request, w, expires));
    if (expires === 0) this.#end(w, 'terminated;reason=timeout');
    else {
      this.#arm(w);
      this.#notify(w, undefined);
    }
    return true;
  }

  /** Compares each watcher's extension's dialogs with what it was told, and notifies changes. */
  look(): void {
    if (this.#watchers.size === 0) return;
    const dialogs = this.#o.dialogs();
    for (const w of this.#watchers.values()) {
      if (w.event !== 'dialog') continue;
      const now = new Map(dialogs.filter((d) => d.extension === w.extension).map((d) => [d.callId, d.state]));
      const changed = now.size !== w.told.size || [...now].some(([id, state]) => w.told.get(id)?.state !== state);
      if (changed) this.#notify(w, undefined);
    }
  }

  /** The mailbox of `extension` changed (mailbox-lamps.ts): each of its MWI watchers gets a NOTIFY with the summary now (RFC 3842 §3.8). */
  mailboxChanged(extension: string): void {
    for (const w of this.#watchers.values()) if (w.event === 'message-summary' && w.extension === extension) this.#notify(w, undefined);
  }

  /** Ends every subscription with `reason` (RFC 6665 §4.1.3: deactivated asks the phone to subscribe again at once). */
  terminateAll(reason: 'deactivated' | 'noresource'): void {
    for (const w of [...this.#watchers.values()]) this.#end(w, `terminated;reason=${reason}`);
  }

  /** Ends the subscriptions (deactivated) and stops looking. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.terminateAll('deactivated');
    this.#closed = true;
  }

  #ok(request: SipRequest, w: Watcher, expires: number): ReturnType<typeof buildResponse> {
    const headers: SipHeader[] = [{ name: 'Contact', value: `<sip:sbc@${this.#o.stack.hostPort(w.target.transport)}>` }, { name: 'Expires', value: String(expires) }];
    return buildResponse(request, 200, undefined, headers, Buffer.alloc(0), { toTag: w.localTag });
  }

  #arm(w: Watcher): void {
    w.timer?.cancel();
    w.timer = this.#o.clock.setTimeout(() => this.#end(w, 'terminated;reason=timeout'), Math.max(0, w.expiresAt - this.#o.clock.now()));
  }

  #end(w: Watcher, subscriptionState: string): void {
    if (this.#forget(w)) this.#notify(w, subscriptionState);
  }

  /** Drops a subscription without telling the watcher (it refused or did not answer a NOTIFY); false if already gone. */
  #forget(w: Watcher): boolean {
    w.timer?.cancel();
    if (!this.#watchers.delete(key(w.callId, w.localTag))) return false;
    if (this.#watchers.size === 0) {
      this.#look?.cancel();
      this.#look = undefined;
    }
    return true;
  }

  /** One NOTIFY in the watcher's dialog with the full state now (RFC 4235 §4.1), sent after the previous one (RFC 6665 §4.2.2). */
  #notify(w: Watcher, ended: string | undefined): void {
    const { contentType, body } = w.event === 'dialog' ? this.#dialogInfo(w) : this.#summary(w);
    w.cseq++;
    const remaining = Math.max(0, Math.ceil((w.expiresAt - this.#o.clock.now()) / 1000));
    const subscriptionState = ended ?? `active;expires=${remaining}`;
    const contact = `<sip:sbc@${this.#o.stack.hostPort(w.target.transport)}>`;
    const request = subscriptionNotify(w, subscriptionState, this.#o.stack.newVia(w.target.transport), contact, { contentType, body });
    this.#counters.notifies++;
    w.chain = w.chain.then(async () => {
      try {
        const response = await this.#o.stack.request(request, w.target);
        // RFC 6665 §4.2.2: a 481 ends the subscription.
        if (response.status === 481) this.#forget(w);
      } catch (error) {
        this.#log.info({ err: error, extension: w.extension }, `a ${w.event} watcher did not answer a NOTIFY`);
        this.#forget(w);
      }
    });
  }

  /** The last summary known for the mailbox; none known: no body (the phone keeps its lamp). */
  #summary(w: Watcher): { contentType: string | undefined; body: Buffer } {
    const known = this.#o.messageSummary?.(w.extension);
    return known === undefined ? { contentType: undefined, body: Buffer.alloc(0) } : { contentType: known.contentType, body: known.body };
  }

  /** The extension's dialogs now, as a full dialog-info document (RFC 4235 §4.1). */
  #dialogInfo(w: Watcher): { contentType: string; body: Buffer } {
    const current = this.#o.dialogs().filter((d) => d.extension === w.extension);
    const dialogs: DialogInfoDialog[] = current.map((d) => ({
      id: d.callId, direction: d.direction, state: d.state, remoteIdentity: `sip:${d.peer}@${hostOf(w.entity)}`,
    }));
    const here = new Set(current.map((d) => d.callId));
    // A dialog that was reported and is gone has ended: reported terminated once (RFC 4235 §3.7.1).
    for (const [id, was] of w.told) if (!here.has(id)) dialogs.push({ id, direction: was.direction, state: 'terminated' });
    w.told = new Map(current.map((d) => [d.callId, { state: d.state, direction: d.direction }]));
    return { contentType: DIALOG_INFO_CONTENT_TYPE, body: Buffer.from(encodeDialogInfo({ entity: w.entity, version: w.version++, state: 'full', dialogs })) };
  }
}

function hostOf(entity: string): string {
  return entity.slice(entity.indexOf('@') + 1);
}
