/**
 * The messages of a provisioning fetch through the tunnel (PROTOCOL.md "Stream protocols",
 * `provisioning/1`): the agent's request (path, query, the phone's MAC) and the hub's answer
 * header (status, content type, body length), each one JSON object in one stream message. Pure:
 * bytes in, typed value or ProvisioningFetchError out.
 */
import { SbcError } from '../core/index.js';
import { checkRequestPath, type PathCheck } from './relay-path.js';

/** The stream label of a provisioning fetch (PROTOCOL.md "Stream purpose"). */
export const PROVISIONING_STREAM_LABEL = 'provisioning/1';
export const MAX_FETCH_REQUEST_BYTES = 4096;
export const MAX_FETCH_HEADER_BYTES = 4096;
const MAX_PATH = 512;
const MAX_QUERY = 2048;
const MAX_CONTENT_TYPE = 256;

/** The statuses the hub answers itself, when the upstream does not. */
export const FetchStatus = {
  /** The path did not pass the hub's check. */
  BAD_REQUEST: 400,
  /** No upstream is configured on the hub. */
  NOT_FOUND: 404,
  /** The upstream could not be reached, failed, or sent more than the hub's limit. */
  BAD_GATEWAY: 502,
  /** Too many fetches of this agent at once. */
  BUSY: 503,
  /** The upstream did not answer within the hub's timeout. */
  GATEWAY_TIMEOUT: 504,
} as const;

export interface FetchRequest {
  /** Relative (no leading '/'), as the relay checked it: percent-decoded. */
  readonly path: string;
  /** Empty or starting with '?'. */
  readonly query: string;
  /** The phone's MAC (12 lower-case hex digits) when the agent knows it; for the hub's log. */
  readonly mac?: string;
}

export interface FetchHeader {
  readonly status: number;
  readonly contentType?: string;
  /** Body bytes that follow the header before FIN. */
  readonly length: number;
}

/**
 * Why a fetch through the tunnel failed: `protocol` (a malformed message), `tunnel-down`, `timeout`,
 * `too-large` (above the agent's limit), `reset` (the hub reset the stream or the session ended).
 */
export type FetchFailure = 'protocol' | 'tunnel-down' | 'timeout' | 'too-large' | 'reset';

export class ProvisioningFetchError extends SbcError {
  constructor(readonly reason: FetchFailure, message: string) {
    super('SBC_ERR_PROVISIONING_FETCH', `${reason}: ${message}`);
  }
}

function parseObject(payload: Buffer, max: number, what: string): Record<string, unknown> {
  if (payload.length > max) throw new ProvisioningFetchError('protocol', `${what} of ${payload.length} bytes, above ${max}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new ProvisioningFetchError('protocol', `${what} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProvisioningFetchError('protocol', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function text(obj: Record<string, unknown>, key: string, max: number, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length > max) throw new ProvisioningFetchError('protocol', `${what}.${key} must be a string of at most ${max} characters`);
  return v;
}

export function encodeFetchRequest(request: FetchRequest): Buffer {
  return Buffer.from(JSON.stringify({ path: request.path, query: request.query, ...(request.mac === undefined ? {} : { mac: request.mac }) }), 'utf8');
}

/** Unknown fields are ignored (a later agent may send more); the known ones are checked. */
export function decodeFetchRequest(payload: Buffer): FetchRequest {
  const obj = parseObject(payload, MAX_FETCH_REQUEST_BYTES, 'request');
  const path = text(obj, 'path', MAX_PATH, 'request');
  const query = text(obj, 'query', MAX_QUERY, 'request');
  if (query !== '' && !query.startsWith('?')) throw new ProvisioningFetchError('protocol', "request.query must be empty or start with '?'");
  if (obj['mac'] === undefined) return { path, query };
  const mac = text(obj, 'mac', 12, 'request');
  if (!/^[0-9a-f]{12}$/.test(mac)) throw new ProvisioningFetchError('protocol', 'request.mac must be 12 lower-case hex digits');
  return { path, query, mac };
}

export function encodeFetchHeader(header: FetchHeader): Buffer {
  return Buffer.from(JSON.stringify({ status: header.status, ...(header.contentType === undefined ? {} : { contentType: header.contentType }), length: header.length }), 'utf8');
}

export function decodeFetchHeader(payload: Buffer): FetchHeader {
  const obj = parseObject(payload, MAX_FETCH_HEADER_BYTES, 'header');
  const status = obj['status'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) throw new ProvisioningFetchError('protocol', 'header.status must be an HTTP status (100 to 599)');
  const length = obj['length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new ProvisioningFetchError('protocol', 'header.length must be a non-negative integer');
  if (obj['contentType'] === undefined) return { status, length };
  return { status, contentType: text(obj, 'contentType', MAX_CONTENT_TYPE, 'header'), length };
}

/**
 * The hub's own check of a request (it does not trust the agent's relay): the path, encoded again
 * segment by segment, must pass checkRequestPath unchanged (no traversal, no separator or control
 * character in any spelling), must not be absolute (a leading '/', a URL scheme) and must have no
 * empty segment.
 */
export function checkFetchRequest(request: FetchRequest): PathCheck {
  const { path, query } = request;
  if (path === '' || path.startsWith('/')) return { ok: false, reason: 'not a relative path' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return { ok: false, reason: 'absolute URL' };
  const segments = path.split('/');
  if (segments.some((s) => s === '')) return { ok: false, reason: 'empty segment' };
  const checked = checkRequestPath(`/${segments.map(encodeURIComponent).join('/')}${query}`);
  if (!checked.ok) return checked;
  if (checked.path !== path || checked.query !== query) return { ok: false, reason: 'path changes when checked' };
  return checked;
}
