/**
 * The hub's enrollment endpoint, as a request → response function (the HTTPS server in src/net
 * carries it). POST /enroll/<id> with the one-time key and a CSR: the key is checked against its
 * scrypt hash, then the SBC's state and the key's use and expiry; the CSR is signed by the hub CA
 * and the key is marked used in the same locked update of the SBC list.
 */
import type { Clock, Logger } from '../../core/index.js';
import { DEFAULT_SCRYPT, generateAuthKey, hashAuthKey, verifyAuthKey, type AuthKeyHash, type ScryptParams } from './auth-key.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { HubCa } from './ca.js';
import { EnrollError } from './errors.js';
import { FAILURE_STATUS, enrollIdOfPath, parseEnrollRequest, type EnrollErrorBody, type EnrollSuccess, type HubAddresses, type HubFailure } from './messages.js';
import type { SbcStore } from './sbc-store.js';

export interface EnrollHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly remoteAddress: string;
  /** The Host header: the name the agent reached the hub by. */
  readonly host: string | undefined;
  readonly body: Buffer;
}

export interface EnrollHttpResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EnrollmentServiceOptions {
  readonly store: SbcStore;
  readonly ca: HubCa;
  /** The lockout: an AttemptLimiter, or the hub's wrapper that also persists it (src/hub-lockout.ts). */
  readonly limiter: Pick<AttemptLimiter, 'check' | 'recordFailure' | 'recordSuccess'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The hub's tunnel addresses to hand out, given the Host header the agent used. */
  readonly addresses: (host: string | undefined) => HubAddresses;
  /** Cost of the decoy hash used when the id is unknown; the same as real keys by default. */
  readonly scrypt?: ScryptParams;
}

function failure(code: HubFailure, message: string, retryAfterSeconds?: number): EnrollHttpResponse {
  const body: EnrollErrorBody = { error: { code, message, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) } };
  return { status: FAILURE_STATUS[code], body, ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }) };
}

export const MESSAGES = {
  wrong_key: 'the auth key is wrong for this provisioning URL',
  expired_key: 'the auth key has expired; ask the hub admin for a new one (hub rekey-sbc)',
  used_key: 'the auth key was already used; ask the hub admin for a new one (hub rekey-sbc)',
  revoked: 'this SBC has been revoked by the hub admin',
  locked_out: 'too many wrong auth keys from this address; try again later',
} as const;

export class EnrollmentService {
  readonly #o: EnrollmentServiceOptions;
  #decoy: Promise<AuthKeyHash> | undefined;

  constructor(options: EnrollmentServiceOptions) {
    this.#o = options;
  }

  #delay(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => this.#o.clock.setTimeout(resolve, ms));
  }

  #lockedOut(remote: string, retryAfterMs: number): EnrollHttpResponse {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    this.#o.logger.warn({ remote, retryAfterSeconds: seconds }, 'enrollment locked out');
    return failure('locked_out', `${MESSAGES.locked_out} (in ${seconds} s)`, seconds);
  }

  async handle(req: EnrollHttpRequest): Promise<EnrollHttpResponse> {
    const id = enrollIdOfPath(req.path);
    if (id === undefined) return { status: 404, body: { error: { code: 'bad_request', message: 'not an enrollment URL (expected /enroll/<id>)' } } };
    if (req.method !== 'POST') return { status: 405, body: { error: { code: 'bad_request', message: 'use POST' } }, headers: { allow: 'POST' } };
    const { limiter, store, logger } = this.#o;
    const verdict = limiter.check(req.remoteAddress);
    if (verdict.locked) return this.#lockedOut(req.remoteAddress, verdict.retryAfterMs);
    let request;
    try {
      request = parseEnrollRequest(req.body);
    } catch (error) {
      return failure('bad_request', error instanceof Error ? error.message : String(error));
    }
    // An admin command may have added or changed this SBC a moment ago, in another process.
    await store.reload();
    const record = store.byId(id);
    const key = record?.key;
    this.#decoy ??= hashAuthKey(generateAuthKey(), this.#o.scrypt ?? DEFAULT_SCRYPT);
    const matches = (await verifyAuthKey(request.key, key?.keyHash ?? (await this.#decoy))) && key !== undefined;
    if (record === undefined || key === undefined || !matches) {
      const outcome = limiter.recordFailure(req.remoteAddress);
      logger.warn({ remote: req.remoteAddress, id }, 'enrollment with a wrong key');
      // The maxFailures-th wrong key is still answered as such; the address is locked from the next request on.
      if (outcome.lockedOut) logger.warn({ remote: req.remoteAddress }, 'enrollment: address locked out after repeated wrong keys');
      await this.#delay(outcome.delayMs);
      return failure('wrong_key', MESSAGES.wrong_key);
    }
    if (record.state === 'revoked') return failure('revoked', MESSAGES.revoked);
    if (key.usedAt !== undefined) return failure('used_key', MESSAGES.used_key);
    if (Date.parse(key.expiresAt) <= this.#o.clock.wallNow()) return failure('expired_key', `${MESSAGES.expired_key}; it expired at ${key.expiresAt}`);
    let issued;
    try {
      issued = this.#o.ca.signAgentCsr(request.csr, record.id);
    } catch (error) {
      if (error instanceof EnrollError) return failure('bad_request', error.message);
      throw error;
    }
    if (!(await store.completeEnrollment(record.id, key.keyHash, issued))) {
      // Used, replaced or revoked between the check and the update: the signed certificate is dropped.
      return failure('used_key', MESSAGES.used_key);
    }
    limiter.recordSuccess(req.remoteAddress);
    logger.info({ remote: req.remoteAddress, sbc: record.name, id: record.id, serial: issued.serial }, 'SBC enrolled');
    const body: EnrollSuccess = { sbc: { id: record.id, name: record.name }, certificate: issued.certPem, caCertificate: this.#o.ca.certPem, hub: this.#o.addresses(req.host) };
    return { status: 200, body: { version: 1, ...body } };
  }
}
