/**
 * The enrollment API's messages (README.md in this folder is the specification): plain typed data
 * with pure parse functions for both directions. Everything that arrives is `unknown` until checked.
 */
import { EnrollError, type EnrollFailure } from './errors.js';

export const ENROLL_API_VERSION = 1;
/** Requests larger than this are refused before they are buffered (a CSR is about 1 KiB). */
export const MAX_REQUEST_BYTES = 16 * 1024;
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const ENROLL_PATH_PREFIX = '/enroll/';

export interface EnrollRequest {
  readonly key: string;
  /** PEM PKCS #10 certificate request. */
  readonly csr: string;
}

/** Where the agent finds the hub's tunnel listeners. */
export interface HubAddresses {
  /** A name (or address) in the hub's server certificate: the TLS server name to verify. */
  readonly name: string;
  readonly tunnel: { readonly host: string; readonly port: number };
  readonly wss: { readonly url: string };
}

export interface EnrollSuccess {
  readonly sbc: { readonly id: string; readonly name: string };
  readonly certificate: string;
  readonly caCertificate: string;
  readonly hub: HubAddresses;
}

/** The HTTP status of each failure the hub reports. */
export const FAILURE_STATUS = {
  bad_request: 400,
  wrong_key: 401,
  revoked: 403,
  used_key: 409,
  expired_key: 410,
  locked_out: 429,
} as const satisfies Partial<Record<EnrollFailure, number>>;

export type HubFailure = keyof typeof FAILURE_STATUS;

export interface EnrollErrorBody {
  readonly error: { readonly code: HubFailure; readonly message: string; readonly retryAfterSeconds?: number };
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The SBC id in `/enroll/<id>`, or undefined for any other path. */
export function enrollIdOfPath(path: string): string | undefined {
  const bare = path.split('?')[0] ?? '';
  if (!bare.startsWith(ENROLL_PATH_PREFIX)) return undefined;
  const id = bare.slice(ENROLL_PATH_PREFIX.length);
  return /^[a-z0-9]{1,64}$/.test(id) ? id : undefined;
}

export function serializeEnrollRequest(request: EnrollRequest): string {
  return JSON.stringify({ version: ENROLL_API_VERSION, key: request.key, csr: request.csr });
}

export function parseEnrollRequest(body: Buffer): EnrollRequest {
  const value = parseJson(body);
  if (!isObj(value)) throw new EnrollError('bad_request', 'the request body must be a JSON object');
  if (value['version'] !== ENROLL_API_VERSION) throw new EnrollError('bad_request', `version must be ${ENROLL_API_VERSION}`);
  const { key, csr } = value;
  if (typeof key !== 'string' || key.length > 200) throw new EnrollError('bad_request', 'key must be a string');
  if (typeof csr !== 'string' || !csr.includes('-----BEGIN CERTIFICATE REQUEST-----')) throw new EnrollError('bad_request', 'csr must be a PEM certificate request');
  return { key, csr };
}

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseHub(value: unknown): HubAddresses | undefined {
  if (!isObj(value) || !isObj(value['tunnel']) || !isObj(value['wss'])) return undefined;
  const name = str(value, 'name');
  const host = str(value['tunnel'], 'host');
  const port = value['tunnel']['port'];
  const url = str(value['wss'], 'url');
  if (name === undefined || host === undefined || url === undefined || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { name, tunnel: { host, port }, wss: { url } };
}

function parseSuccess(value: unknown): EnrollSuccess | undefined {
  if (!isObj(value) || !isObj(value['sbc'])) return undefined;
  const id = str(value['sbc'], 'id');
  const name = str(value['sbc'], 'name');
  const certificate = str(value, 'certificate');
  const caCertificate = str(value, 'caCertificate');
  const hub = parseHub(value['hub']);
  if (id === undefined || name === undefined || certificate === undefined || caCertificate === undefined || hub === undefined) return undefined;
  return { sbc: { id, name }, certificate, caCertificate, hub };
}

const HUB_FAILURES = new Set<string>(Object.keys(FAILURE_STATUS));

/** The agent's reading of the hub's answer: the success body, or the EnrollError the hub named. */
export function parseEnrollResponse(status: number, body: Buffer): EnrollSuccess {
  const value = parseJson(body);
  if (status === 200) {
    const success = parseSuccess(value);
    if (success === undefined) throw new EnrollError('bad_response', 'the hub answered 200 but the body is not an enrollment result');
    return success;
  }
  const error = isObj(value) && isObj(value['error']) ? value['error'] : undefined;
  const code = error === undefined ? undefined : str(error, 'code');
  if (error === undefined || code === undefined || !HUB_FAILURES.has(code)) {
    throw new EnrollError('bad_response', `the hub answered HTTP ${status} without an enrollment error (is this URL an sbc-agent hub?)`);
  }
  const retry = error['retryAfterSeconds'];
  throw new EnrollError(code as HubFailure, str(error, 'message') ?? code, typeof retry === 'number' ? { retryAfterSeconds: retry } : undefined);
}
