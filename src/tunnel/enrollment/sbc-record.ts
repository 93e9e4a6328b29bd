/**
 * The hub's SBC list as plain data, and its parser: the file is read back at a trust boundary
 * (it may have been edited or damaged), so every field is checked and a bad one is named.
 */
import { SbcError } from '../../core/index.js';
import type { AuthKeyHash } from './auth-key.js';

export type SbcState = 'pending' | 'enrolled' | 'revoked';

export interface IssuedIdentity {
  readonly serial: string;
  /** SHA-256 of the agent certificate's DER, colon hex (as Node's `fingerprint256`). */
  readonly fingerprint: string;
  readonly notAfter: string;
}

/** The outstanding one-time key of an SBC (one at a time; rekey replaces it). */
export interface PendingKey {
  readonly keyHash: AuthKeyHash;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Set when the key was used; kept so a reuse is told apart from a wrong key. */
  readonly usedAt?: string;
}

export interface SbcRecord {
  /** Stable id: the URL path, the certificate CN. Never changes, even on rename. */
  readonly id: string;
  readonly name: string;
  readonly state: SbcState;
  readonly createdAt: string;
  readonly enrolledAt?: string;
  readonly lastSeen?: string;
  readonly revokedAt?: string;
  readonly certificate?: IssuedIdentity;
  /** Fingerprints of certificates this SBC held before: revoked, or replaced by a re-enrollment. */
  readonly retired: readonly string[];
  readonly key?: PendingKey;
}

export interface StoreDocument {
  readonly version: 1;
  readonly sbcs: readonly SbcRecord[];
}

export const EMPTY_STORE: StoreDocument = { version: 1, sbcs: [] };

/** SBC names: what an admin types. Letters, digits, dot, dash, underscore; 1 to 63 characters. */
export const SBC_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A damaged or foreign SBC list file; `path` names the bad field. */
export class StoreFormatError extends SbcError {
  constructor(readonly field: string, message: string) {
    super('SBC_ERR_STATE', `SBC list: ${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;

function obj(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StoreFormatError(field, 'must be an object');
  return value as Obj;
}

function str(o: Obj, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new StoreFormatError(`${field}.${key}`, 'must be a non-empty string');
  return v;
}

function optStr(o: Obj, key: string, field: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, field);
}

function int(o: Obj, key: string, field: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new StoreFormatError(`${field}.${key}`, 'must be a positive integer');
  return v;
}

function parseKey(value: unknown, field: string): PendingKey {
  const o = obj(value, field);
  const h = obj(o['keyHash'], `${field}.keyHash`);
  if (h['algorithm'] !== 'scrypt') throw new StoreFormatError(`${field}.keyHash.algorithm`, "must be 'scrypt'");
  const keyHash: AuthKeyHash = {
    algorithm: 'scrypt',
    N: int(h, 'N', `${field}.keyHash`),
    r: int(h, 'r', `${field}.keyHash`),
    p: int(h, 'p', `${field}.keyHash`),
    salt: str(h, 'salt', `${field}.keyHash`),
    hash: str(h, 'hash', `${field}.keyHash`),
  };
  const usedAt = optStr(o, 'usedAt', field);
  return { keyHash, createdAt: str(o, 'createdAt', field), expiresAt: str(o, 'expiresAt', field), ...(usedAt === undefined ? {} : { usedAt }) };
}

function parseRecord(value: unknown, field: string): SbcRecord {
  const o = obj(value, field);
  const state = o['state'];
  if (state !== 'pending' && state !== 'enrolled' && state !== 'revoked') throw new StoreFormatError(`${field}.state`, 'must be pending, enrolled or revoked');
  const name = str(o, 'name', field);
  if (!SBC_NAME.test(name)) throw new StoreFormatError(`${field}.name`, 'is not a valid SBC name');
  const retired = o['retired'] ?? [];
  if (!Array.isArray(retired) || !retired.every((r) => typeof r === 'string')) throw new StoreFormatError(`${field}.retired`, 'must be a list of fingerprints');
  let certificate: IssuedIdentity | undefined;
  if (o['certificate'] !== undefined) {
    const c = obj(o['certificate'], `${field}.certificate`);
    certificate = { serial: str(c, 'serial', `${field}.certificate`), fingerprint: str(c, 'fingerprint', `${field}.certificate`), notAfter: str(c, 'notAfter', `${field}.certificate`) };
  }
  const optional: Partial<Record<'enrolledAt' | 'lastSeen' | 'revokedAt', string>> = {};
  for (const k of ['enrolledAt', 'lastSeen', 'revokedAt'] as const) {
    const v = optStr(o, k, field);
    if (v !== undefined) optional[k] = v;
  }
  return {
    id: str(o, 'id', field),
    name,
    state,
    createdAt: str(o, 'createdAt', field),
    ...optional,
    ...(certificate === undefined ? {} : { certificate }),
    retired: retired as string[],
    ...(o['key'] === undefined ? {} : { key: parseKey(o['key'], `${field}.key`) }),
  };
}

export function parseStoreDocument(text: string): StoreDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StoreFormatError('(file)', `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const o = obj(parsed, '(file)');
  if (o['version'] !== 1) throw new StoreFormatError('version', 'must be 1');
  const list = o['sbcs'];
  if (!Array.isArray(list)) throw new StoreFormatError('sbcs', 'must be a list');
  const sbcs = list.map((r, i) => parseRecord(r, `sbcs[${i}]`));
  const names = new Set<string>();
  const ids = new Set<string>();
  sbcs.forEach((r, i) => {
    if (names.has(r.name)) throw new StoreFormatError(`sbcs[${i}].name`, `duplicate name '${r.name}'`);
    if (ids.has(r.id)) throw new StoreFormatError(`sbcs[${i}].id`, `duplicate id '${r.id}'`);
    names.add(r.name);
    ids.add(r.id);
  });
  return { version: 1, sbcs };
}

export function serializeStoreDocument(doc: StoreDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
