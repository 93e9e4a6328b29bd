/**
 * The hub's SBC list. The file is shared by the running hub and the admin commands
 * (`hub add-sbc`, `revoke-sbc`...), which are separate processes: every change is
 * lock → re-read → change → atomic write → unlock through the injected backend, and the hub
 * re-reads the file every second (`reload()`) so a revocation takes effect at the next handshake.
 */
import { SbcError, TypedEmitter, type Clock } from '../../core/index.js';
import type { AuthKeyHash } from './auth-key.js';
import { EMPTY_STORE, SBC_NAME, parseStoreDocument, serializeStoreDocument, type IssuedIdentity, type SbcRecord, type StoreDocument } from './sbc-record.js';

/** Where the list lives. The hub passes the platform's atomic file + file lock. */
export interface StoreBackend {
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  /** Runs `fn` with every other writer of the list kept out (a cross-process lock). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export type SbcListProblem = 'unknown_name' | 'name_taken' | 'invalid_name' | 'not_enrolled';

/** An admin command that cannot be carried out on the list as it is. */
export class SbcListError extends SbcError {
  constructor(readonly problem: SbcListProblem, message: string) {
    super('SBC_ERR_STATE', message);
  }
}

export interface StoreEvents extends Record<string, unknown> {
  /** The list changed (by this process or another one). */
  changed: readonly SbcRecord[];
}

export type CertificateMatch = { readonly record: SbcRecord; readonly current: boolean } | undefined;

export class SbcStore {
  readonly #backend: StoreBackend;
  readonly #clock: Clock;
  #doc: StoreDocument = EMPTY_STORE;
  #text: string | undefined;
  #loaded = false;
  readonly events = new TypedEmitter<StoreEvents>();

  private constructor(backend: StoreBackend, clock: Clock) {
    this.#backend = backend;
    this.#clock = clock;
  }

  static async open(backend: StoreBackend, clock: Clock): Promise<SbcStore> {
    const store = new SbcStore(backend, clock);
    await store.reload();
    return store;
  }

  list(): readonly SbcRecord[] {
    return this.#doc.sbcs;
  }

  byName(name: string): SbcRecord | undefined {
    return this.#doc.sbcs.find((r) => r.name === name);
  }

  byId(id: string): SbcRecord | undefined {
    return this.#doc.sbcs.find((r) => r.id === id);
  }

  /** The SBC that holds (or held) the certificate with this fingerprint. */
  byCertificateFingerprint(fingerprint: string): CertificateMatch {
    for (const record of this.#doc.sbcs) {
      if (record.certificate?.fingerprint === fingerprint) return { record, current: true };
      if (record.retired.includes(fingerprint)) return { record, current: false };
    }
    return undefined;
  }

  /** Re-reads the file if another process changed it. */
  async reload(): Promise<void> {
    const text = await this.#backend.read();
    if (this.#loaded && text === this.#text) return;
    this.#doc = text === undefined ? EMPTY_STORE : parseStoreDocument(text);
    this.#text = text;
    if (this.#loaded) this.events.emit('changed', this.#doc.sbcs);
    this.#loaded = true;
  }

  /** Applies `change` to the current file content under the lock and writes the result. */
  async update<T>(change: (sbcs: SbcRecord[]) => T): Promise<T> {
    return this.#backend.exclusive(async () => {
      const text = await this.#backend.read();
      const doc = text === undefined ? EMPTY_STORE : parseStoreDocument(text);
      const sbcs = [...doc.sbcs];
      const result = change(sbcs);
      const next: StoreDocument = { version: 1, sbcs };
      const nextText = serializeStoreDocument(next);
      await this.#backend.write(nextText);
      this.#doc = next;
      this.#text = nextText;
      this.events.emit('changed', sbcs);
      return result;
    });
  }

  #iso(offsetMs = 0): string {
    return new Date(this.#clock.wallNow() + offsetMs).toISOString();
  }

  /** A new SBC waiting for its first enrollment. */
  add(name: string, id: string, keyHash: AuthKeyHash, ttlMs: number): Promise<SbcRecord> {
    if (!SBC_NAME.test(name)) return Promise.reject(new SbcListError('invalid_name', `'${name}' is not a valid SBC name (letters, digits, '.', '-', '_'; up to 63)`));
    return this.update((sbcs) => {
      if (sbcs.some((r) => r.name === name)) throw new SbcListError('name_taken', `an SBC named '${name}' already exists (use rekey-sbc for a new key)`);
      const record: SbcRecord = { id, name, state: 'pending', createdAt: this.#iso(), retired: [], key: { keyHash, createdAt: this.#iso(), expiresAt: this.#iso(ttlMs) } };
      sbcs.push(record);
      return record;
    });
  }

  #replace(sbcs: SbcRecord[], name: string, change: (r: SbcRecord) => SbcRecord): SbcRecord {
    const at = sbcs.findIndex((r) => r.name === name);
    const current = sbcs[at];
    if (current === undefined) throw new SbcListError('unknown_name', `no SBC named '${name}'`);
    const next = change(current);
    sbcs[at] = next;
    return next;
  }

  /**
   * A new one-time key for an existing SBC. An enrolled SBC keeps its current certificate until
   * the new enrollment replaces it; a revoked one becomes pending again (the admin re-admits it;
   * its revoked certificate stays refused).
   */
  rekey(name: string, keyHash: AuthKeyHash, ttlMs: number): Promise<SbcRecord> {
    return this.update((sbcs) =>
      this.#replace(sbcs, name, (r) => {
        const rest: SbcRecord = { ...r };
        delete (rest as { revokedAt?: string }).revokedAt;
        return { ...rest, state: r.state === 'revoked' ? 'pending' : r.state, key: { keyHash, createdAt: this.#iso(), expiresAt: this.#iso(ttlMs) } };
      }),
    );
  }

  /** Revokes the SBC: its certificate is refused at the next handshake and its key is dead. */
  revoke(name: string): Promise<SbcRecord> {
    return this.update((sbcs) =>
      this.#replace(sbcs, name, (r) => {
        const { certificate, ...rest } = r;
        return { ...rest, state: 'revoked', revokedAt: this.#iso(), retired: certificate === undefined ? r.retired : [...r.retired, certificate.fingerprint] };
      }),
    );
  }

  rename(from: string, to: string): Promise<SbcRecord> {
    if (!SBC_NAME.test(to)) return Promise.reject(new SbcListError('invalid_name', `'${to}' is not a valid SBC name (letters, digits, '.', '-', '_'; up to 63)`));
    return this.update((sbcs) => {
      if (from !== to && sbcs.some((r) => r.name === to)) throw new SbcListError('name_taken', `an SBC named '${to}' already exists`);
      return this.#replace(sbcs, from, (r) => ({ ...r, name: to }));
    });
  }

  /**
   * Records a successful enrollment of SBC `id` with the key whose stored hash is `keyHash`;
   * returns false (and changes nothing) when that key was used or replaced meanwhile, or the SBC
   * was revoked: the caller then discards the certificate it signed.
   */
  completeEnrollment(id: string, keyHash: AuthKeyHash, issued: IssuedIdentity): Promise<boolean> {
    return this.update((sbcs) => {
      const at = sbcs.findIndex((r) => r.id === id);
      const r = sbcs[at];
      if (r === undefined || r.state === 'revoked' || r.key === undefined || r.key.usedAt !== undefined || r.key.keyHash.hash !== keyHash.hash) return false;
      const retired = r.certificate === undefined ? r.retired : [...r.retired, r.certificate.fingerprint];
      const now = this.#iso();
      sbcs[at] = { ...r, state: 'enrolled', enrolledAt: now, certificate: issued, retired, key: { ...r.key, usedAt: now } };
      return true;
    });
  }

  /** Notes that the SBC holding this certificate connected (the tunnel calls this after its handshake). */
  async markSeen(fingerprint: string): Promise<void> {
    if (this.byCertificateFingerprint(fingerprint)?.current !== true) return;
    await this.update((sbcs) => {
      const at = sbcs.findIndex((r) => r.certificate?.fingerprint === fingerprint);
      const r = sbcs[at];
      if (r !== undefined) sbcs[at] = { ...r, lastSeen: this.#iso() };
    });
  }
}
