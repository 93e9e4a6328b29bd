/**
 * The routing snapshot the hub pushes to a branch over the tunnel's config push (PROTOCOL.md
 * "Config push", kind `routing-snapshot`): JSON `{ kind, version, model }` where `model` is the
 * document form validation reads (routing-doc.ts), so the agent checks it with the same
 * `validateRoutingModel` as the hub's file. Pure: no I/O.
 *
 * What a branch gets (`branchModel`): everything except the extensions whose `homeAgent` names
 * another branch; those are removed from ring groups' members (a group left without members is
 * dropped), and an outbound rule limited to departments none of whose extensions remain keeps only
 * the departments still known (dropped when none is). Of `localTrunks` only the branch's own entry
 * is kept. Queues keep only the branch's agents. Extensions carry HA1s only: the model has no password field.
 */
import { ConfigError } from '../core/index.js';
import type { RoutingModel } from './model.js';
import { routingModelToDoc } from './routing-doc.js';
import { validateRoutingModel } from './validate.js';

export const SNAPSHOT_KIND = 'routing-snapshot';

/** The part of `model` the branch `sbcName` needs. */
export function branchModel(model: RoutingModel, sbcName: string): RoutingModel {
  const extensions = model.extensions.filter((e) => e.homeAgent === undefined || e.homeAgent === sbcName);
  const kept = new Set(extensions.map((e) => e.number));
  const ringGroups = model.ringGroups
    .map((g) => ({ ...g, members: g.members.filter((m) => kept.has(m)) }))
    .filter((g) => g.members.length > 0);
  const known = new Set([...Object.keys(model.departments), ...extensions.flatMap((e) => (e.department === undefined ? [] : [e.department]))]);
  const outbound = model.outbound.flatMap((r) => {
    if (r.departments.length === 0) return [r];
    const departments = r.departments.filter((d) => known.has(d));
    return departments.length === 0 ? [] : [{ ...r, departments }];
  });
  const local = model.localTrunks[sbcName];
  // A queue keeps its number (destinations name it) with the agents the branch has; with none
  // left, its callers go to its no-answer destination.
  const queues = model.queues?.map((q) => ({ ...q, agents: q.agents.filter((a) => kept.has(a)) }));
  // A paging number whose extension or group the branch does not have is not the branch's to dial.
  const groups = new Set(ringGroups.map((g) => g.number));
  const { paging: allPaging, ...rest } = model;
  const paging = allPaging?.filter((p) => (p.target.kind === 'extension' ? kept : groups).has(p.target.number)) ?? [];
  return {
    ...rest, extensions, ringGroups, outbound, localTrunks: local === undefined ? {} : { [sbcName]: local }, ...(queues === undefined ? {} : { queues }),
    ...(paging.length === 0 ? {} : { paging }),
  };
}

/** The bytes pushed to the branch: its model at `version`. */
export function encodeSnapshot(model: RoutingModel, sbcName: string, version: number): Buffer {
  const doc = routingModelToDoc({ ...branchModel(model, sbcName), version });
  return Buffer.from(JSON.stringify({ kind: SNAPSHOT_KIND, version, model: doc }), 'utf8');
}

/** A received snapshot, validated; a ConfigError naming the field when it is not one. */
export function decodeSnapshot(data: Buffer): RoutingModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ConfigError('(snapshot)', 'not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('(snapshot)', 'must be an object');
  const obj = parsed as Record<string, unknown>;
  if (obj['kind'] !== SNAPSHOT_KIND) throw new ConfigError('kind', `must be '${SNAPSHOT_KIND}'`);
  const model = validateRoutingModel(obj['model']);
  if (obj['version'] !== model.version) throw new ConfigError('version', 'differs from model.version');
  return model;
}

/** The version the hub gives a changed model: the file's, but never below the previous one plus one. */
export function nextVersion(fileVersion: number, previous: number | undefined): number {
  return previous === undefined ? fileVersion : Math.max(fileVersion, previous + 1);
}

/** An agent keeps a snapshot only if it is not older than the one it has. */
export function acceptsSnapshot(stored: RoutingModel | undefined, incoming: RoutingModel): boolean {
  return stored === undefined || incoming.version >= stored.version;
}
