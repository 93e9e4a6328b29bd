/**
 * Digest authentication of the branch's phones against the routing snapshot (issue 11, the local
 * registrar): the HA1 of each extension is MD5(number:realm:password) (routing-fields.ts
 * `computeHa1`), so the digest username is the extension number and the realm the extension's.
 * One DigestServer per realm (a nonce is bound to its realm), MD5 only since the snapshot keeps
 * MD5 HA1s. Used for REGISTER (401, RFC 3261 §22.2) and for INVITEs from a flow without a
 * binding (407, §22.3).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/index.js';
import { DigestServer, type SipHeader, type SipRequest, type VerifyFailure } from '../sip/index.js';
import type { Extension, RoutingModel } from '../routing/index.js';

/** Realm of the challenge when the user is not an extension: the snapshot's first realm, so nothing tells it apart. */
export const FALLBACK_REALM = 'sbc-agent';

export type AuthOutcome =
  | { readonly kind: 'ok'; readonly extension: Extension }
  /** Answer 401 (or 407) with these headers; `failure` set when credentials were given and were wrong. */
  | { readonly kind: 'challenge'; readonly headers: SipHeader[]; readonly failure?: VerifyFailure }
  /** Answer 403 with this reason phrase: the credentials were well formed but may not be used. */
  | { readonly kind: 'forbidden'; readonly reason: string; readonly failure: string };

export interface PhoneAuthOptions {
  readonly clock: Clock;
  readonly routing: () => RoutingModel | undefined;
  /** HMAC key of the nonces; default 32 random bytes (nonces do not outlive the process: a restart earns stale=true). */
  readonly secret?: Buffer;
}

export class PhoneAuth {
  readonly #o: PhoneAuthOptions;
  readonly #secret: Buffer;
  readonly #servers = new Map<string, DigestServer>();

  constructor(options: PhoneAuthOptions) {
    this.#o = options;
    this.#secret = options.secret ?? randomBytes(32);
  }

  /**
   * Checks the Authorization (or, with `proxy`, Proxy-Authorization) of `request` for `user`, the
   * extension the request speaks for (the To user of a REGISTER, the From user of an INVITE).
   */
  async authenticate(request: SipRequest, user: string, proxy: boolean): Promise<AuthOutcome> {
    const model = this.#o.routing();
    const extension = model?.extensions.find((e) => e.number === user);
    const realm = extension?.realm ?? model?.extensions[0]?.realm ?? FALLBACK_REALM;
    const server = this.#server(realm);
    const verdict = await server.verify(request, { proxy });
    if (verdict.ok) {
      // RFC 3261 §10.3 step 4: the authenticated user must be allowed to speak for this AOR.
      if (verdict.username !== user) return { kind: 'forbidden', reason: 'Username Does Not Match', failure: 'username-mismatch' };
      const current = this.#o.routing()?.extensions.find((e) => e.number === user);
      if (current === undefined) return { kind: 'forbidden', reason: 'Forbidden', failure: 'unknown-user' };
      if (!current.enabled) return { kind: 'forbidden', reason: 'Extension Disabled', failure: 'disabled' };
      return { kind: 'ok', extension: current };
    }
    if (verdict.reason === 'unknown-user') return { kind: 'forbidden', reason: 'Forbidden', failure: 'unknown-user' };
    const headers = server.challenge({ proxy, stale: verdict.stale });
    // No credentials yet, or a nonce that only went stale: the normal first round, not a failure.
    if (verdict.reason === 'missing' || verdict.stale) return { kind: 'challenge', headers };
    return { kind: 'challenge', headers, failure: verdict.reason };
  }

  #server(realm: string): DigestServer {
    let server = this.#servers.get(realm);
    if (server === undefined) {
      server = new DigestServer({
        realm,
        secret: this.#secret,
        clock: this.#o.clock,
        algorithms: ['MD5'],
        users: {
          // Disabled extensions keep their HA1 here, so a right password earns 403 rather than 401.
          lookup: (username, r) => {
            const e = this.#o.routing()?.extensions.find((x) => x.number === username && x.realm === r);
            return e === undefined ? undefined : { ha1: e.ha1, algorithm: 'MD5' };
          },
        },
      });
      this.#servers.set(realm, server);
    }
    return server;
  }
}
