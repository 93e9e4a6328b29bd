/**
 * The hub's PBX report to its agents (PROTOCOL.md "Config push", kind `pbx-health`): UTF-8 JSON
 * `{ "kind": "pbx-health", "reachable": bool, "at": epoch-ms, "reason": text }`, sent when a
 * session opens or resumes and on every change. Small, so it shares the config push with the
 * routing snapshot; the agent tells the two apart by `kind`.
 */
import { ConfigError } from '../core/index.js';
import type { PbxState } from './pbx-probe.js';

export const PBX_HEALTH_KIND = 'pbx-health';
const MAX_REASON = 200;

export function encodePbxHealth(state: PbxState): Buffer {
  return Buffer.from(JSON.stringify({ kind: PBX_HEALTH_KIND, reachable: state.reachable, at: state.at, reason: state.reason.slice(0, MAX_REASON) }), 'utf8');
}

/** The `kind` of a config push, or undefined when it is not JSON with a string kind. */
export function configKind(data: Buffer): string | undefined {
  // Only the head is looked at: a routing snapshot may be megabytes.
  const head = data.subarray(0, 64).toString('utf8');
  return /^\{"kind":"([a-z0-9-]{1,32})"/.exec(head)?.[1];
}

export function decodePbxHealth(data: Buffer): PbxState {
  if (data.length > 1024) throw new ConfigError('pbx-health', `report of ${data.length} bytes (at most 1024)`);
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ConfigError('pbx-health', 'not JSON');
  }
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (o['kind'] !== PBX_HEALTH_KIND) throw new ConfigError('kind', `must be '${PBX_HEALTH_KIND}'`);
  if (typeof o['reachable'] !== 'boolean') throw new ConfigError('reachable', 'must be true or false');
  if (typeof o['at'] !== 'number' || !Number.isFinite(o['at'])) throw new ConfigError('at', 'must be a time in epoch milliseconds');
  if (typeof o['reason'] !== 'string') throw new ConfigError('reason', 'must be text');
  return { reachable: o['reachable'], at: o['at'], reason: o['reason'].slice(0, MAX_REASON) };
}
