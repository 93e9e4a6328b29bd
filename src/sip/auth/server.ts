/**
 * Digest server (RFC 3261 §22.4, RFC 7616 §3.3–§3.5, RFC 8760): issues challenges, verifies
 * credentials against a user store returning a password or an HA1, expires nonces, refuses a
 * replayed nc using an LRU cache of issued nonces, and says stale=true when only the nonce was
 * too old.
 */
import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/index.js';
import { getHeaders, type SipHeader, type SipRequest } from '../message.js';
import { computeDigestResponse, computeHA1, digestAlgorithm, type DigestAlgorithm, type DigestQop } from './digest.js';
import { DigestParseError } from './errors.js';
import { formatDigestChallenge, parseAuthHeader, toDigestCredentials, type DigestCredentials } from './header.js';
import { NonceMinter } from './nonce.js';

/** What a user store knows: the password, or H(username:realm:password) for one base algorithm. */
export type UserSecret =
  | { readonly password: string }
  | { readonly ha1: string; readonly algorithm: 'MD5' | 'SHA-256' | 'SHA-512-256' };

export interface DigestUserStore {
  lookup(username: string, realm: string): Promise<UserSecret | undefined> | UserSecret | undefined;
}

export interface DigestServerOptions {
  readonly realm: string;
  /** HMAC key of the nonces (at least 16 bytes). */
  readonly secret: Buffer;
  readonly clock: Clock;
  readonly users: DigestUserStore;
  /** Offered in this order, one challenge each (RFC 8760 §2.4: most preferred first). */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** How long a nonce stays fresh; default 300 s (Kamailio's nonce_expire). */
  readonly nonceLifetimeMs?: number;
  /** Issued nonces remembered for nc tracking; default 10,000. */
  readonly maxNonces?: number;
  /** Accept RFC 2069 style credentials without qop (no nc, so no replay detection). Default true. */
  readonly allowNoQop?: boolean;
  readonly random?: (size: number) => Buffer;
}

export type VerifyFailure =
  | 'missing'
  | 'malformed'
  | 'unknown-algorithm'
  | 'wrong-realm'
  | 'wrong-uri'
  | 'bad-qop'
  | 'unknown-user'
  | 'wrong-response'
  | 'forged-nonce'
  | 'expired-nonce'
  | 'unknown-nonce'
  | 'replayed';

export type DigestVerdict =
  | { readonly ok: true; readonly username: string; readonly realm: string; readonly algorithm: DigestAlgorithm }
  | { readonly ok: false; readonly reason: VerifyFailure; readonly stale: boolean };

interface NonceState {
  /** Highest nc accepted with this nonce (RFC 7616 §3.4: the server "should" track it). */
  lastNc: number;
}

export class DigestServer {
  readonly #realm: string;
  readonly #clock: Clock;
  readonly #users: DigestUserStore;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #lifetime: number;
  readonly #allowNoQop: boolean;
  readonly #minter: NonceMinter;
  readonly #nonces: LRUCache<string, NonceState>;

  constructor(options: DigestServerOptions) {
    this.#realm = options.realm;
    this.#clock = options.clock;
    this.#users = options.users;
    this.#algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    if (this.#algorithms.length === 0) throw new RangeError('at least one digest algorithm must be offered');
    this.#lifetime = options.nonceLifetimeMs ?? 300_000;
    this.#allowNoQop = options.allowNoQop ?? true;
    this.#minter = new NonceMinter(options.secret, options.random);
    this.#nonces = new LRUCache({ max: options.maxNonces ?? 10_000 });
  }

  get realm(): string {
    return this.#realm;
  }

  /**
   * The challenge headers for a 401 (WWW-Authenticate) or, with `proxy`, a 407
   * (Proxy-Authenticate): one per algorithm, each with its own fresh nonce.
   */
  challenge(options: { readonly proxy?: boolean; readonly stale?: boolean } = {}): SipHeader[] {
    const name = options.proxy === true ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    return this.#algorithms.map((algorithm) => {
      const nonce = this.#minter.mint(this.#realm, this.#clock.wallNow());
      this.#nonces.set(nonce, { lastNc: 0 });
      const value = formatDigestChallenge({ realm: this.#realm, nonce, algorithm, qop: ['auth'], stale: options.stale === true });
      return { name, value };
    });
  }

  /** Checks the Authorization (or Proxy-Authorization) of `request` for this realm. */
  async verify(request: SipRequest, options: { readonly proxy?: boolean } = {}): Promise<DigestVerdict> {
    const values = getHeaders(request, options.proxy === true ? 'Proxy-Authorization' : 'Authorization');
    let sawOurs = false;
    for (const value of values) {
      let credentials: DigestCredentials;
      try {
        const parsed = parseAuthHeader(value);
        const first = parsed[0];
        if (parsed.length !== 1 || first === undefined || first.scheme.toLowerCase() !== 'digest') continue;
        // RFC 3261 §22.4: pick the credentials whose realm is ours; others belong to other servers.
        if (first.params.get('realm') !== this.#realm) {
          if (first.params.has('realm')) continue;
        }
        sawOurs = true;
        credentials = toDigestCredentials(first);
      } catch (error) {
        if (error instanceof DigestParseError) return fail('malformed');
        throw error;
      }
      return this.#verifyCredentials(credentials, request);
    }
    if (values.length > 0 && !sawOurs) return fail('wrong-realm');
    return fail('missing');
  }

  async #verifyCredentials(c: DigestCredentials, request: SipRequest): Promise<DigestVerdict> {
    if (c.realm !== this.#realm) return fail('wrong-realm');
    const algorithm = digestAlgorithm(c.algorithm);
    if (algorithm === undefined || !this.#algorithms.includes(algorithm)) return fail('unknown-algorithm');
    // RFC 2617 §3.2.2.5: "the server should check that [the uri] is the same as the Request-URI".
    if (c.uri !== request.uri) return fail('wrong-uri');
    let qop: DigestQop | undefined;
    if (c.qop === undefined) {
      if (!this.#allowNoQop || c.nc !== undefined) return fail('bad-qop');
    } else if (c.qop === 'auth') {
      qop = 'auth';
      if (c.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(c.nc) || c.cnonce === undefined) return fail('malformed');
    } else {
      return fail('bad-qop');
    }
    const check = this.#minter.check(c.nonce, this.#realm);
    if (!check.valid) return fail('forged-nonce');
    const secret = await this.#users.lookup(c.username, c.realm);
    if (secret === undefined) return fail('unknown-user');
    const ha1 = storedHA1(secret, algorithm, c);
    if (ha1 === undefined) return fail('unknown-algorithm');
    const expected = computeDigestResponse({ algorithm, ha1, nonce: c.nonce, method: request.method, uri: c.uri, qop, nc: c.nc, cnonce: c.cnonce });
    if (!sameHex(expected, c.response)) return fail('wrong-response');
    // The password is right from here on: an old or forgotten nonce earns stale=true (RFC 7616 §3.3).
    if (this.#clock.wallNow() - check.issuedAt > this.#lifetime) return fail('expired-nonce', true);
    const state = this.#nonces.get(c.nonce);
    if (state === undefined) return fail('unknown-nonce', true);
    if (qop !== undefined) {
      const nc = Number.parseInt(c.nc ?? '', 16);
      // RFC 7616 §3.4: a repeated nc "indicates a replay"; nc only grows for one nonce.
      if (!(nc > state.lastNc)) return fail('replayed');
      state.lastNc = nc;
    }
    return { ok: true, username: c.username, realm: c.realm, algorithm };
  }
}

function fail(reason: VerifyFailure, stale = false): DigestVerdict {
  return { ok: false, reason, stale };
}

function storedHA1(secret: UserSecret, algorithm: DigestAlgorithm, c: DigestCredentials): string | undefined {
  if ('password' in secret) return computeHA1(algorithm, c.username, c.realm, secret.password);
  // An HA1 is bound to its hash: an MD5 HA1 cannot check SHA-256 credentials.
  const base = algorithm.replace(/-sess$/, '');
  return base === secret.algorithm ? secret.ha1.toLowerCase() : undefined;
}

function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
