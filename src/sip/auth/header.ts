/**
 * Codec for the authentication headers: WWW-Authenticate / Proxy-Authenticate (challenges)
 * and Authorization / Proxy-Authorization (credentials), RFC 7235 §2.1 and RFC 7616 §3.3–§3.4,
 * as SIP uses them (RFC 3261 §25.1: challenge / credentials).
 *
 *   challenge   = auth-scheme 1*SP auth-param *( "," auth-param )
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *
 * A single value may hold several challenges ("Digest ..., Digest ..."): a token that is not
 * followed by "=" after a comma starts a new challenge. Parameter names are case-insensitive and
 * kept in lower case. Parse errors are DigestParseError, never anything else.
 */
import { digestAlgorithm, type DigestAlgorithm } from './digest.js';
import { DigestParseError } from './errors.js';

export interface AuthChallenge {
  /** As written, e.g. "Digest"; compare case-insensitively. */
  readonly scheme: string;
  /** Lower-case names; quoted values unescaped. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;
const WS = new Set([' ', '\t', '\r', '\n']);

class Cursor {
  at = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.at >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.at];
  }
  skipWs(): void {
    while (!this.done && WS.has(this.text[this.at] as string)) this.at++;
  }
  token(what: string): string {
    const start = this.at;
    while (!this.done && TOKEN_CHAR.test(this.text[this.at] as string)) this.at++;
    if (this.at === start) throw new DigestParseError(`expected ${what}`, start);
    return this.text.slice(start, this.at);
  }
  /** RFC 7230 §3.2.6 quoted-string with quoted-pair; the cursor is on the opening quote. */
  quoted(): string {
    const start = this.at;
    this.at++;
    let out = '';
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) throw new DigestParseError('unterminated quoted-string', start);
      this.at++;
      if (c === '"') return out;
      if (c === '\\') {
        const next = this.text[this.at];
        if (next === undefined) throw new DigestParseError('unterminated quoted-pair', this.at);
        out += next;
        this.at++;
      } else {
        out += c;
      }
    }
  }
  /** A bare value: everything up to a comma or white space (lenient: RFC tokens plus "/", ":", "@" seen in the field). */
  bare(): string {
    const start = this.at;
    while (!this.done && this.text[this.at] !== ',' && !WS.has(this.text[this.at] as string)) this.at++;
    if (this.at === start) throw new DigestParseError('expected a parameter value', start);
    return this.text.slice(start, this.at);
  }
}

/** Every challenge (or credentials) in one header value. */
export function parseAuthHeader(value: string): AuthChallenge[] {
  const c = new Cursor(value);
  const out: AuthChallenge[] = [];
  c.skipWs();
  if (c.done) throw new DigestParseError('empty header value', 0);
  while (!c.done) {
    const scheme = c.token('an auth-scheme');
    const params = new Map<string, string>();
    out.push({ scheme, params });
    c.skipWs();
    let first = true;
    while (!c.done) {
      if (!first) {
        if (c.peek() !== ',') throw new DigestParseError('expected ","', c.at);
        c.at++;
        c.skipWs();
        // Empty list elements are allowed (RFC 7230 §7: "#rule").
        if (c.peek() === ',') continue;
        if (c.done) break;
      }
      const nameAt = c.at;
      const name = c.token('a parameter name');
      c.skipWs();
      if (c.peek() !== '=') {
        if (first) throw new DigestParseError('expected "="', c.at);
        // A token after a comma that is not a parameter: the next challenge begins here.
        c.at = nameAt;
        break;
      }
      c.at++;
      c.skipWs();
      const paramValue = c.peek() === '"' ? c.quoted() : c.bare();
      const key = name.toLowerCase();
      if (params.has(key)) throw new DigestParseError(`duplicate parameter ${key}`, nameAt);
      params.set(key, paramValue);
      c.skipWs();
      first = false;
    }
  }
  return out;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

/** Writes one challenge or credentials value; `unquoted` names the parameters written as tokens. */
export function formatAuthHeader(challenge: AuthChallenge, unquoted: ReadonlySet<string> = new Set()): string {
  const parts: string[] = [];
  for (const [name, value] of challenge.params) {
    const asToken = unquoted.has(name) && value.length > 0 && [...value].every((ch) => TOKEN_CHAR.test(ch));
    parts.push(`${name}=${asToken ? value : quote(value)}`);
  }
  return parts.length === 0 ? challenge.scheme : `${challenge.scheme} ${parts.join(', ')}`;
}

/** RFC 7616 §3.3 challenge, typed. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  /** As written when unknown; canonical spelling when known. Absent means MD5. */
  readonly algorithm?: string;
  /** The qop-options, e.g. ["auth", "auth-int"]; empty for RFC 2069 style. */
  readonly qop: readonly string[];
  readonly stale: boolean;
  readonly opaque?: string;
  readonly domain?: string;
  readonly userhash?: boolean;
}

/** RFC 7616 §3.4 credentials, typed. */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: string;
  readonly qop?: string;
  readonly nc?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  readonly userhash?: boolean;
}

function required(ch: AuthChallenge, name: string): string {
  const v = ch.params.get(name);
  if (v === undefined) throw new DigestParseError(`missing ${name}`, 0);
  return v;
}

function canonicalAlgorithm(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  return digestAlgorithm(token) ?? token;
}

function isDigest(ch: AuthChallenge): boolean {
  return ch.scheme.toLowerCase() === 'digest';
}

export function toDigestChallenge(ch: AuthChallenge): DigestChallenge {
  if (!isDigest(ch)) throw new DigestParseError(`scheme ${ch.scheme} is not Digest`, 0);
  const algorithm = canonicalAlgorithm(ch.params.get('algorithm'));
  const qop = ch.params.get('qop');
  const opaque = ch.params.get('opaque');
  const domain = ch.params.get('domain');
  const userhash = ch.params.get('userhash');
  return {
    realm: required(ch, 'realm'),
    nonce: required(ch, 'nonce'),
    ...(algorithm === undefined ? {} : { algorithm }),
    qop: qop === undefined ? [] : qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q.length > 0),
    stale: ch.params.get('stale')?.toLowerCase() === 'true',
    ...(opaque === undefined ? {} : { opaque }),
    ...(domain === undefined ? {} : { domain }),
    ...(userhash === undefined ? {} : { userhash: userhash.toLowerCase() === 'true' }),
  };
}

export function toDigestCredentials(ch: AuthChallenge): DigestCredentials {
  if (!isDigest(ch)) throw new DigestParseError(`scheme ${ch.scheme} is not Digest`, 0);
  const optional = (name: string): string | undefined => ch.params.get(name);
  const algorithm = canonicalAlgorithm(optional('algorithm'));
  const qop = optional('qop')?.toLowerCase();
  const nc = optional('nc');
  const cnonce = optional('cnonce');
  const opaque = optional('opaque');
  const userhash = optional('userhash');
  return {
    username: required(ch, 'username'),
    realm: required(ch, 'realm'),
    nonce: required(ch, 'nonce'),
    uri: required(ch, 'uri'),
    response: required(ch, 'response'),
    ...(algorithm === undefined ? {} : { algorithm }),
    ...(qop === undefined ? {} : { qop }),
    ...(nc === undefined ? {} : { nc }),
    ...(cnonce === undefined ? {} : { cnonce }),
    ...(opaque === undefined ? {} : { opaque }),
    ...(userhash === undefined ? {} : { userhash: userhash.toLowerCase() === 'true' }),
  };
}

/** The Digest challenges of one WWW-Authenticate / Proxy-Authenticate value (other schemes skipped). */
export function parseDigestChallenges(value: string): DigestChallenge[] {
  return parseAuthHeader(value).filter(isDigest).map(toDigestChallenge);
}

/** The Digest credentials of one Authorization / Proxy-Authorization value. */
export function parseDigestCredentials(value: string): DigestCredentials {
  const all = parseAuthHeader(value);
  const first = all[0];
  if (all.length !== 1 || first === undefined) throw new DigestParseError('expected exactly one credentials', 0);
  return toDigestCredentials(first);
}

// RFC 7616 §3.3: algorithm and stale are tokens; realm, nonce, opaque, domain and qop-options quoted.
const CHALLENGE_TOKENS: ReadonlySet<string> = new Set(['algorithm', 'stale', 'userhash']);
// RFC 7616 §3.4 / RFC 2617 §3.2.2: qop, nc and algorithm are tokens in credentials.
const CREDENTIAL_TOKENS: ReadonlySet<string> = new Set(['algorithm', 'qop', 'nc', 'userhash']);

export function formatDigestChallenge(c: DigestChallenge): string {
  const params = new Map<string, string>([['realm', c.realm]]);
  if (c.domain !== undefined) params.set('domain', c.domain);
  params.set('nonce', c.nonce);
  if (c.opaque !== undefined) params.set('opaque', c.opaque);
  if (c.stale) params.set('stale', 'true');
  if (c.algorithm !== undefined) params.set('algorithm', c.algorithm);
  if (c.qop.length > 0) params.set('qop', c.qop.join(','));
  if (c.userhash !== undefined) params.set('userhash', String(c.userhash));
  return formatAuthHeader({ scheme: 'Digest', params }, CHALLENGE_TOKENS);
}

export function formatDigestCredentials(c: DigestCredentials): string {
  const params = new Map<string, string>([
    ['username', c.username],
    ['realm', c.realm],
    ['nonce', c.nonce],
    ['uri', c.uri],
    ['response', c.response],
  ]);
  if (c.algorithm !== undefined) params.set('algorithm', c.algorithm);
  if (c.cnonce !== undefined) params.set('cnonce', c.cnonce);
  if (c.opaque !== undefined) params.set('opaque', c.opaque);
  if (c.qop !== undefined) params.set('qop', c.qop);
  if (c.nc !== undefined) params.set('nc', c.nc);
  if (c.userhash !== undefined) params.set('userhash', String(c.userhash));
  return formatAuthHeader({ scheme: 'Digest', params }, CREDENTIAL_TOKENS);
}

/** The algorithm a challenge or credentials names, if we implement it. */
export function supportedAlgorithm(c: { readonly algorithm?: string }): DigestAlgorithm | undefined {
  return digestAlgorithm(c.algorithm);
}
