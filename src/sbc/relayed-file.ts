/**
 * The registrations the agent relayed to the PBX, as stored in `<state>/agent/relayed-registrations.json`
 * (issue 12: "an agent restarted while the WAN is down comes up in survival with its stored
 * snapshot and registrations"). Per LAN (by its address): each binding of the RegistrationCache
 * with the flow its phone registered from (survival routes to it and accepts its refreshes only
 * from there) and the last REGISTER relayed for it (failback sends it upstream again). Times are
 * epoch ms on disk, since the cache's own clock is monotonic and starts again with the process.
 * Pure: bytes in, typed value out (docs/STYLE.md rule 1); the agent does the file I/O through
 * src/platform (write-temp-then-rename, owner-only: the REGISTERs carry digest responses).
 */
import { ConfigError } from '../core/index.js';
import { parseMessage, serializeMessage, type SipRequest, type SipTransportName, type TransactionSource, type TransportTarget } from '../sip/index.js';

export const RELAYED_REGISTRATIONS_FILE = 'relayed-registrations.json';
const FORMAT = 1;
/** A REGISTER is a few hundred bytes; anything far larger is not one of ours. */
const MAX_MESSAGE_CHARS = 16_384;

export interface RelayedRegistration {
  readonly aor: string;
  readonly contact: string;
  readonly token: string;
  readonly callId: string;
  readonly userAgent: string | undefined;
  readonly username: string | undefined;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Epoch ms. */
  readonly upstreamExpiresAt: number;
  /** The phone's flow: where survival reaches it. */
  readonly flow: TransportTarget;
  /** The last REGISTER relayed for it (phone side and tunnel side), when there is one. */
  readonly last: { readonly fromPhone: SipRequest; readonly sent: SipRequest; readonly source: TransactionSource } | undefined;
}

/** LAN address → its relayed registrations. */
export type RelayedByLan = ReadonlyMap<string, readonly RelayedRegistration[]>;

const TRANSPORTS: readonly SipTransportName[] = ['UDP', 'TCP', 'TLS'];

export function encodeRelayed(byLan: RelayedByLan): string {
  const lans: Record<string, unknown[]> = {};
  for (const [address, list] of byLan) {
    lans[address] = list.map((r) => ({
      aor: r.aor, contact: r.contact, token: r.token, callId: r.callId, userAgent: r.userAgent, username: r.username,
      expiresAt: r.expiresAt, upstreamExpiresAt: r.upstreamExpiresAt,
      flow: { transport: r.flow.transport, host: r.flow.host, port: r.flow.port },
      last: r.last === undefined ? undefined : {
        fromPhone: serializeMessage(r.last.fromPhone).toString('utf8'), sent: serializeMessage(r.last.sent).toString('utf8'),
        source: { transport: r.last.source.transport, address: r.last.source.address, port: r.last.source.port },
      },
    }));
  }
  return `${JSON.stringify({ format: FORMAT, lans }, null, 1)}\n`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(o: Record<string, unknown>, field: string, at: string): string {
  const v = o[field];
  if (typeof v !== 'string') throw new ConfigError(`${at}.${field}`, 'must be text');
  return v;
}

function optionalText(o: Record<string, unknown>, field: string, at: string): string | undefined {
  return o[field] === undefined ? undefined : text(o, field, at);
}

function time(o: Record<string, unknown>, field: string, at: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${at}.${field}`, 'must be a time in epoch milliseconds');
  return v;
}

function endpoint(v: unknown, hostField: 'host' | 'address', at: string): { transport: SipTransportName; host: string; port: number } {
  if (!isObject(v)) throw new ConfigError(at, 'must be an object');
  const transport = TRANSPORTS.find((t) => t === v['transport']);
  if (transport === undefined) throw new ConfigError(`${at}.transport`, `must be one of ${TRANSPORTS.join(', ')}`);
  const port = v['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${at}.port`, 'must be a port number');
  return { transport, host: text(v, hostField, at), port };
}

function register(v: unknown, at: string): SipRequest {
  if (typeof v !== 'string' || v.length > MAX_MESSAGE_CHARS) throw new ConfigError(at, `must be a SIP REGISTER of at most ${MAX_MESSAGE_CHARS} characters`);
  const m = parseMessage(Buffer.from(v, 'utf8'));
  if (m.kind !== 'request' || m.method !== 'REGISTER') throw new ConfigError(at, 'must be a SIP REGISTER');
  return m;
}

function registration(v: unknown, at: string): RelayedRegistration {
  if (!isObject(v)) throw new ConfigError(at, 'must be an object');
  let last: RelayedRegistration['last'];
  if (v['last'] !== undefined) {
    const l = v['last'];
    if (!isObject(l)) throw new ConfigError(`${at}.last`, 'must be an object');
    const s = endpoint(l['source'], 'address', `${at}.last.source`);
    last = { fromPhone: register(l['fromPhone'], `${at}.last.fromPhone`), sent: register(l['sent'], `${at}.last.sent`), source: { transport: s.transport, address: s.host, port: s.port } };
  }
  return {
    aor: text(v, 'aor', at), contact: text(v, 'contact', at), token: text(v, 'token', at), callId: text(v, 'callId', at),
    userAgent: optionalText(v, 'userAgent', at), username: optionalText(v, 'username', at),
    expiresAt: time(v, 'expiresAt', at), upstreamExpiresAt: time(v, 'upstreamExpiresAt', at),
    flow: endpoint(v['flow'], 'host', `${at}.flow`), last,
  };
}

/** The stored registrations; a file that is not ours throws a ConfigError naming the field. */
export function decodeRelayed(data: Buffer): RelayedByLan {
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ConfigError('relayed-registrations', 'not JSON');
  }
  if (!isObject(doc) || doc['format'] !== FORMAT) throw new ConfigError('format', `must be ${FORMAT}`);
  const lans = doc['lans'];
  if (!isObject(lans)) throw new ConfigError('lans', 'must be an object of LAN address → registrations');
  const out = new Map<string, RelayedRegistration[]>();
  for (const [address, list] of Object.entries(lans)) {
    if (!Array.isArray(list)) throw new ConfigError(`lans.${address}`, 'must be a list');
    out.set(address, list.map((r, i) => registration(r, `lans.${address}[${i}]`)));
  }
  return out;
}
