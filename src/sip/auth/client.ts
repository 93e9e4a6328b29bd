/**
 * Digest client (RFC 3261 §22.2–§22.3, RFC 7616 §3.4, RFC 8760). Answers a 401 or 407 with
 * credentials, counts nc per nonce, draws a fresh cnonce per nonce, retries once without the
 * password being asked again when the server says stale=true, and reports a second challenge
 * after credentials were sent as an AuthFailure instead of looping.
 */
import { randomBytes } from 'node:crypto';
import { getHeaders, withHeader, type SipHeader, type SipRequest, type SipResponse } from '../message.js';
import {
  algorithmStrength,
  computeDigestResponse,
  computeHA1,
  digestAlgorithm,
  digestHash,
  formatNonceCount,
  type DigestAlgorithm,
  type DigestQop,
} from './digest.js';
import { AuthFailure, DigestParseError } from './errors.js';
import { formatDigestCredentials, parseAuthHeader, toDigestChallenge, type DigestChallenge } from './header.js';

export interface DigestClientOptions {
  readonly username: string;
  /** The password; or, instead, `ha1`. */
  readonly password?: string;
  /**
   * MD5(username ":" realm ":" password) in hex, as the routing model stores trunk credentials
   * (never the password). It only answers MD5 and MD5-sess challenges (RFC 7616 §3.4.2: A1 is
   * hashed with the challenge's algorithm), for the realm it was computed for.
   */
  readonly ha1?: string;
  /** Random bytes for cnonce; injected by tests. */
  readonly random?: (size: number) => Buffer;
}

/** The header to add to the retried request, e.g. `{ name: 'Authorization', value: 'Digest ...' }`. */
export type AuthorizationHeader = SipHeader;

/** What a request needs for the digest: RFC 7616 §3.4.3 A2 = Method ":" request-uri. */
export interface DigestTarget {
  readonly method: string;
  readonly uri: string;
  readonly body?: Buffer;
}

interface RealmState {
  challenge: DigestChallenge;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
  proxy: boolean;
  nc: number;
  cnonce: string;
  /** Credentials were sent in answer to this realm's challenge and no success was seen since. */
  answered: boolean;
  /** A stale=true retry was already made for the current answer. */
  staleRetried: boolean;
}

function chooseQop(offered: readonly string[]): DigestQop | undefined | null {
  // RFC 7616 §3.3: qop is required of servers; its absence means RFC 2069 (RFC 2617 §3.2.2.1).
  if (offered.length === 0) return undefined;
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return null;
}

interface Candidate {
  challenge: DigestChallenge;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
}

/** RFC 8760 §2.4: of several challenges, use the strongest algorithm we support (per realm, first realm wins). */
function pickChallenge(values: readonly string[], md5Only: boolean): Candidate | AuthFailure {
  const candidates: Candidate[] = [];
  let sawDigest = false;
  for (const value of values) {
    let parsed;
    try {
      parsed = parseAuthHeader(value);
    } catch (error) {
      if (error instanceof DigestParseError) continue;
      throw error;
    }
    for (const ch of parsed) {
      if (ch.scheme.toLowerCase() !== 'digest') continue;
      let challenge: DigestChallenge;
      try {
        challenge = toDigestChallenge(ch);
      } catch (error) {
        if (error instanceof DigestParseError) continue;
        throw error;
      }
      sawDigest = true;
      const algorithm = digestAlgorithm(challenge.algorithm);
      const qop = chooseQop(challenge.qop);
      if (algorithm === undefined || qop === null) continue;
      if (md5Only && algorithm !== 'MD5' && algorithm !== 'MD5-sess') continue;
      candidates.push({ challenge, algorithm, qop });
    }
  }
  const realm = candidates[0]?.challenge.realm;
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (c.challenge.realm !== realm) continue;
    if (best === undefined || algorithmStrength(c.algorithm) > algorithmStrength(best.algorithm)) best = c;
  }
  if (best !== undefined) return best;
  return sawDigest
    ? new AuthFailure('unsupported-challenge', undefined, 'no challenge with a supported algorithm and qop')
    : new AuthFailure('no-challenge', undefined, 'the response carries no usable Digest challenge');
}

export class DigestClient {
  readonly #username: string;
  readonly #password: string | undefined;
  readonly #ha1: string | undefined;
  readonly #random: (size: number) => Buffer;
  readonly #realms = new Map<string, RealmState>();

  constructor(options: DigestClientOptions) {
    this.#username = options.username;
    if ((options.password === undefined) === (options.ha1 === undefined)) throw new TypeError('DigestClient needs exactly one of password and ha1');
    this.#password = options.password;
    this.#ha1 = options.ha1?.toLowerCase();
    this.#random = options.random ?? randomBytes;
  }

  /**
   * Credentials answering a 401 (WWW-Authenticate → Authorization) or 407 (Proxy-Authenticate →
   * Proxy-Authorization) to `target`. Throws AuthFailure when the client must give up.
   */
  answer(response: SipResponse, target: DigestTarget): AuthorizationHeader {
    const proxy = response.status === 407;
    if (response.status !== 401 && !proxy) {
      throw new AuthFailure('no-challenge', undefined, `status ${response.status} is not a challenge`);
    }
    const picked = pickChallenge(getHeaders(response, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'), this.#ha1 !== undefined);
    if (picked instanceof AuthFailure) throw picked;
    const realm = picked.challenge.realm;
    const previous = this.#realms.get(realm);
    if (previous?.answered === true) {
      // RFC 7616 §3.3 stale: "the request from the client was rejected because the nonce value was
      // stale ... the client may wish to simply retry the request with a new encrypted response,
      // without re-prompting the user for a new username and password". Once only.
      if (!picked.challenge.stale || previous.staleRetried) {
        throw new AuthFailure('rejected', realm, `credentials for realm "${realm}" were rejected`);
      }
    }
    const state: RealmState = {
      ...picked,
      proxy,
      nc: 0,
      cnonce: this.#random(16).toString('hex'),
      answered: true,
      staleRetried: previous?.answered === true,
    };
    this.#realms.set(realm, state);
    return this.#credentials(state, target);
  }

  /**
   * Pre-emptive credentials for a later request in a realm already answered (RFC 3261 §22.3:
   * reuse within a dialog or for later REGISTERs), with the next nc. A challenge to them is not a
   * failure: they do not count as an answer.
   */
  preemptive(realm: string, target: DigestTarget): AuthorizationHeader | undefined {
    const state = this.#realms.get(realm);
    return state === undefined ? undefined : this.#credentials(state, target);
  }

  /** The request was accepted: later challenges start a fresh answer. */
  succeeded(): void {
    for (const state of this.#realms.values()) {
      state.answered = false;
      state.staleRetried = false;
    }
  }

  #credentials(state: RealmState, target: DigestTarget): AuthorizationHeader {
    const { challenge, algorithm, qop } = state;
    const ha1 = this.#ha1 ?? computeHA1(algorithm, this.#username, challenge.realm, this.#password ?? '');
    // RFC 7616 §3.4: nc counts the requests sent with this nonce, starting at 1.
    state.nc += 1;
    const nc = qop === undefined ? undefined : formatNonceCount(state.nc);
    const cnonce = qop === undefined && !algorithm.endsWith('-sess') ? undefined : state.cnonce;
    const response = computeDigestResponse({ algorithm, ha1, nonce: challenge.nonce, method: target.method, uri: target.uri, qop, nc, cnonce, body: target.body });
    const value = formatDigestCredentials({
      username: challenge.userhash === true ? digestHash(algorithm, `${this.#username}:${challenge.realm}`) : this.#username,
      realm: challenge.realm,
      nonce: challenge.nonce,
      uri: target.uri,
      response,
      // RFC 7616 §3.4: the algorithm is echoed as the challenge named it (absent stays absent).
      ...(challenge.algorithm === undefined ? {} : { algorithm }),
      ...(cnonce === undefined ? {} : { cnonce }),
      ...(challenge.opaque === undefined ? {} : { opaque: challenge.opaque }),
      ...(qop === undefined ? {} : { qop }),
      ...(nc === undefined ? {} : { nc }),
      ...(challenge.userhash === true ? { userhash: true } : {}),
    });
    return { name: state.proxy ? 'Proxy-Authorization' : 'Authorization', value };
  }
}

/**
 * The request with its credentials header set (one per realm: an older value for the same realm
 * is replaced). The TU still increments CSeq and uses a new branch (RFC 3261 §22.2).
 */
export function withCredentials(request: SipRequest, header: AuthorizationHeader): SipRequest {
  const realmOf = (value: string): string | undefined => {
    try {
      return parseAuthHeader(value)[0]?.params.get('realm');
    } catch (error) {
      if (error instanceof DigestParseError) return undefined;
      throw error;
    }
  };
  const realm = realmOf(header.value);
  const kept = getHeaders(request, header.name).filter((v) => realmOf(v) !== realm);
  return { ...request, headers: withHeader(request.headers, header.name, [...kept, header.value]) };
}
