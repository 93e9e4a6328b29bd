/**
 * `agent.admin` and `hub.admin`: the admin API, event stream, metrics and status page (src/admin).
 * They listen on 127.0.0.1 unless told otherwise, never on every address by default: the agent may
 * add its LAN addresses (`lan` in the list), the hub its admin network's address.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { boolean, integer, join, optionalString, section, string } from './fields.js';

export interface AdminConfig {
  readonly enabled: boolean;
  /** IP addresses to listen on; on the agent `lan` stands for every LAN address it serves. */
  readonly listen: readonly string[];
  /** 0: any free port (the status file's listeners say which). */
  readonly port: number;
  /** The token file; undefined: `<state-dir>/admin-token`, created at setup or first start. */
  readonly tokenFile: string | undefined;
  /** `token`: /metrics needs the token like the API; `open`: a local scraper reads it without. */
  readonly metrics: 'token' | 'open';
  /**
   * True when the configuration names `listen` or `port`: an address that cannot be bound then
   * stops the process (exit 19). On the defaults, a port already taken (a second hub or agent on one
   * machine) only leaves this process without its admin server, with a warning saying so.
   */
  readonly required: boolean;
}

export const DEFAULT_AGENT_ADMIN: AdminConfig = { enabled: true, listen: ['127.0.0.1'], port: 8081, tokenFile: undefined, metrics: 'token', required: false };
export const DEFAULT_HUB_ADMIN: AdminConfig = { enabled: true, listen: ['127.0.0.1'], port: 8082, tokenFile: undefined, metrics: 'token', required: false };

export function adminSection(value: unknown, path: string, fallback: AdminConfig, allowLan: boolean): AdminConfig {
  const obj = section(value, path, ['enabled', 'listen', 'port', 'tokenFile', 'metrics']);
  const raw = obj['listen'] ?? fallback.listen;
  const list = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(join(path, 'listen'), `must be an IP address or a list of them${allowLan ? " ('lan': every LAN address)" : ''}`);
  const listen = list.map((item: unknown, i) => {
    const text = typeof item === 'string' ? item.trim() : '';
    if (text === 'lan' && allowLan) return text;
    if (!isIpLiteral(text)) throw new ConfigError(`${join(path, 'listen')}[${i}]`, `'${String(item)}' is not an IP address${allowLan ? " nor 'lan'" : ''}`);
    return text;
  });
  const metrics = string(obj, 'metrics', path, fallback.metrics);
  if (metrics !== 'token' && metrics !== 'open') throw new ConfigError(join(path, 'metrics'), "must be 'token' or 'open'");
  return {
    enabled: boolean(obj, 'enabled', path, fallback.enabled),
    listen,
    port: integer(obj, 'port', path, fallback.port, 0, 65535),
    tokenFile: optionalString(obj, 'tokenFile', path),
    metrics,
    required: obj['listen'] !== undefined || obj['port'] !== undefined,
  };
}
