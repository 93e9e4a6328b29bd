/**
 * What a STUN server answers to one request (RFC 8489 §6.3, §9; RFC 5780 §6.1; RFC 8489 §12 for
 * classic RFC 3489 clients). Pure: bytes and context in, a decision out; server.ts does the I/O.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StunAttribute, TransportAddress } from './attributes.js';
import { ATTRIBUTE, ERROR_REASON, isComprehensionRequired, METHOD } from './constants.js';
import { checkFingerprint, checkMessageIntegrity, longTermKey, shortTermKey, type PasswordAlgorithmName } from './integrity.js';
import { decodeStun, getAttribute, isClassic, protectedAttributes, type StunMessage } from './message.js';

export type StunCredentials =
  | { readonly kind: 'short-term'; password(username: string): string | undefined }
  | { readonly kind: 'long-term'; readonly realm: string; password(username: string): string | undefined; readonly nonceLifetimeMs?: number };

/** The server's sockets as RFC 5780 §6 sees them: [ip][port], 0 = primary, 1 = alternate. */
type GridRow = readonly [TransportAddress | undefined, TransportAddress | undefined];
export type AddressGrid = readonly [GridRow, GridRow];

export interface RequestContext {
  readonly raw: Buffer;
  readonly source: TransportAddress;
  readonly transport: 'udp' | 'tcp';
  /** Position of the receiving socket in the grid. */
  readonly ip: 0 | 1;
  readonly port: 0 | 1;
  readonly grid: AddressGrid;
  readonly now: number;
}

export type Decision =
  | { readonly kind: 'drop'; readonly reason: 'malformed' | 'not-a-request' | 'bad-fingerprint' }
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly message: StunMessage;
      readonly key: Buffer | undefined;
      /** Grid position of the socket to answer from (CHANGE-REQUEST, RFC 5780 §6.1). */
      readonly ip: 0 | 1;
      readonly port: 0 | 1;
      readonly destination: TransportAddress;
      readonly classic: boolean;
    };

const DEFAULT_NONCE_LIFETIME_MS = 10 * 60 * 1000;

export class StunResponder {
  readonly #credentials: StunCredentials | undefined;
  readonly #software: string | undefined;
  readonly #nonceSecret = randomBytes(16);

  constructor(options: { credentials?: StunCredentials | undefined; software?: string | undefined } = {}) {
    this.#credentials = options.credentials;
    this.#software = options.software;
  }

  decide(ctx: RequestContext): Decision {
    let request: StunMessage;
    try {
      request = decodeStun(ctx.raw);
    } catch {
      return { kind: 'drop', reason: 'malformed' };
    }
    // RFC 8489 §6.3: indications and responses are not answered.
    if (request.messageClass !== 'request') return { kind: 'drop', reason: 'not-a-request' };
    const fingerprint = request.attributes.length === 0 ? 'absent' : checkFingerprint(ctx.raw);
    if (fingerprint === 'invalid') return { kind: 'drop', reason: 'bad-fingerprint' };
    const reply = (status: number, attributes: StunAttribute[], extra: Partial<{ key: Buffer; ip: 0 | 1; port: 0 | 1; destination: TransportAddress }> = {}): Decision =>
      this.#reply(ctx, request, fingerprint === 'valid', status, attributes, extra);

    // RFC 3489 §8.2 Shared Secret: removed by RFC 5389; an error response, not silence.
    if (request.method === METHOD.SHARED_SECRET) return reply(400, [errorCode(400, 'Shared Secret is not supported')]);
    if (request.method !== METHOD.BINDING) return reply(400, [errorCode(400, 'Unknown method')]);

    let key: Buffer | undefined;
    if (this.#credentials !== undefined) {
      const auth = this.#authenticate(ctx, request, this.#credentials);
      if (auth.kind === 'reject') return reply(auth.status, auth.attributes);
      key = auth.key;
    }

    // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 listing them.
    const attributes = protectedAttributes(request);
    const unknown = attributes.filter((a) => a.type === 'UNKNOWN' && isComprehensionRequired(a.code)).map((a) => (a.type === 'UNKNOWN' ? a.code : 0));
    const change = getAttribute(request, 'CHANGE-REQUEST');
    const ip: 0 | 1 = change?.changeIp === true ? (ctx.ip === 0 ? 1 : 0) : ctx.ip;
    const port: 0 | 1 = change?.changePort === true ? (ctx.port === 0 ? 1 : 0) : ctx.port;
    // RFC 5780 §6.1: a server that cannot honour CHANGE-REQUEST (no alternate, or TCP) answers 420.
    if (change !== undefined && (ctx.transport === 'tcp' || ctx.grid[ip][port] === undefined)) unknown.push(ATTRIBUTE['CHANGE-REQUEST']);
    if (unknown.length > 0) {
      return reply(420, [errorCode(420), { type: 'UNKNOWN-ATTRIBUTES', types: [...new Set(unknown)] }], key === undefined ? {} : { key });
    }

    const classic = isClassic(request);
    const responsePort = ctx.transport === 'udp' ? getAttribute(request, 'RESPONSE-PORT') : undefined;
    const destination = responsePort === undefined ? ctx.source : { ...ctx.source, port: responsePort.port };
    const origin = ctx.grid[ip][port] ?? ctx.grid[ctx.ip][ctx.port];
    const other = ctx.grid[ctx.ip === 0 ? 1 : 0][ctx.port === 0 ? 1 : 0];
    const out: StunAttribute[] = [];
    if (classic) {
      // RFC 3489 §11.2: MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS.
      out.push({ type: 'MAPPED-ADDRESS', value: ctx.source });
      if (origin !== undefined) out.push({ type: 'SOURCE-ADDRESS', value: origin });
      if (other !== undefined) out.push({ type: 'CHANGED-ADDRESS', value: other });
    } else {
      out.push({ type: 'XOR-MAPPED-ADDRESS', value: ctx.source });
      // RFC 5780 §6.1: servers with an alternate address also send MAPPED-ADDRESS (ALG detection),
      // RESPONSE-ORIGIN and OTHER-ADDRESS.
      if (other !== undefined) {
        out.push({ type: 'MAPPED-ADDRESS', value: ctx.source });
        if (origin !== undefined) out.push({ type: 'RESPONSE-ORIGIN', value: origin });
        out.push({ type: 'OTHER-ADDRESS', value: other });
      }
      const padding = getAttribute(request, 'PADDING');
      // RFC 5780 §7.6: echo PADDING of the same size so fragmentation can be tested.
      if (padding !== undefined && ctx.transport === 'udp') out.push({ type: 'PADDING', value: Buffer.alloc(padding.value.length) });
    }
    return reply(0, out, { ip, port, destination, ...(key === undefined ? {} : { key }) });
  }

  #reply(
    ctx: RequestContext,
    request: StunMessage,
    fingerprint: boolean,
    status: number,
    attributes: StunAttribute[],
    extra: Partial<{ key: Buffer; ip: 0 | 1; port: 0 | 1; destination: TransportAddress }>,
  ): Decision {
    const classic = isClassic(request);
    const list: StunAttribute[] = [...attributes];
    if (this.#software !== undefined && !classic) list.push({ type: 'SOFTWARE', value: this.#software });
    if (extra.key !== undefined) {
      const sha256 = getAttribute(request, 'MESSAGE-INTEGRITY-SHA256') !== undefined;
      list.push(sha256 ? { type: 'MESSAGE-INTEGRITY-SHA256', value: Buffer.alloc(0) } : { type: 'MESSAGE-INTEGRITY', value: Buffer.alloc(0) });
    }
    // RFC 8489 §7.3: a response carries FINGERPRINT when the request did.
    if (!classic && fingerprint) list.push({ type: 'FINGERPRINT' });
    return {
      kind: 'respond',
      status,
      message: { method: request.method, messageClass: status === 0 ? 'success' : 'error', transactionId: request.transactionId, attributes: list },
      key: extra.key,
      ip: extra.ip ?? ctx.ip,
      port: extra.port ?? ctx.port,
      destination: extra.destination ?? ctx.source,
      classic,
    };
  }

  /** RFC 8489 §9.1.3 (short-term) and §9.2.4 (long-term) request checks. */
  #authenticate(
    ctx: RequestContext,
    request: StunMessage,
    credentials: StunCredentials,
  ): { kind: 'ok'; key: Buffer } | { kind: 'reject'; status: number; attributes: StunAttribute[] } {
    const longTerm = credentials.kind === 'long-term';
    const challenge = (status: number, reason?: string): { kind: 'reject'; status: number; attributes: StunAttribute[] } => ({
      kind: 'reject',
      status,
      attributes: [errorCode(status, reason), ...(longTerm ? this.#challengeAttributes(credentials.realm, ctx.now) : [])],
    });
    const sha256 = getAttribute(request, 'MESSAGE-INTEGRITY-SHA256') !== undefined;
    const sha1 = getAttribute(request, 'MESSAGE-INTEGRITY') !== undefined;
    // §9.2.4: a long-term request without integrity is challenged (401 with REALM and NONCE);
    // §9.1.3: a short-term one is a 400.
    if (!sha1 && !sha256) return longTerm ? challenge(401) : { kind: 'reject', status: 400, attributes: [errorCode(400, 'Missing MESSAGE-INTEGRITY')] };
    const username = getAttribute(request, 'USERNAME')?.value;
    if (username === undefined) return { kind: 'reject', status: 400, attributes: [errorCode(400, 'Missing USERNAME')] };
    const password = credentials.password(username);
    let key: Buffer;
    if (credentials.kind === 'long-term') {
      const nonce = getAttribute(request, 'NONCE')?.value;
      const realm = getAttribute(request, 'REALM')?.value;
      if (nonce === undefined || realm === undefined) return { kind: 'reject', status: 400, attributes: [errorCode(400, 'Missing REALM or NONCE')] };
      if (!this.#nonceValid(nonce, ctx.now, credentials.nonceLifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS)) return challenge(438);
      if (password === undefined || realm !== credentials.realm) return challenge(401);
      const algorithm = getAttribute(request, 'PASSWORD-ALGORITHM')?.value.algorithm === 0x0002 ? 'SHA-256' : 'MD5';
      key = longTermKey(username, realm, password, algorithm satisfies PasswordAlgorithmName);
    } else {
      if (password === undefined) return challenge(401);
      key = shortTermKey(password);
    }
    if (checkMessageIntegrity(ctx.raw, key, sha256 ? 'sha256' : 'sha1') !== 'valid') return challenge(401);
    return { kind: 'ok', key };
  }

  /** Stateless nonces: issue time and an HMAC of it, so no table of nonces is kept. */
  #challengeAttributes(realm: string, now: number): StunAttribute[] {
    const issued = Math.floor(now).toString(36);
    return [
      { type: 'REALM', value: realm },
      { type: 'NONCE', value: `${issued}.${this.#nonceMac(issued)}` },
    ];
  }

  #nonceMac(issued: string): string {
    return createHmac('sha256', this.#nonceSecret).update(issued).digest('base64url').slice(0, 22);
  }

  #nonceValid(nonce: string, now: number, lifetimeMs: number): boolean {
    const [issued = '', mac = ''] = nonce.split('.');
    const expected = Buffer.from(this.#nonceMac(issued));
    const got = Buffer.from(mac);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return false;
    const at = Number.parseInt(issued, 36);
    return Number.isFinite(at) && now - at >= 0 && now - at < lifetimeMs;
  }
}

export function errorCode(code: number, reason?: string): StunAttribute {
  return { type: 'ERROR-CODE', code, reason: reason ?? ERROR_REASON[code] ?? 'Error' };
}
