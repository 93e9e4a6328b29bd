/**
 * An ordered list of hubs for the agent's tunnel (issue 12: "an ordered list of hubs that does not
 * depend on DNS TTLs"). Each connection attempt tries the hubs in the order given, each with its
 * own connector (the enrolled hub: TLS then WSS; the others: TLS to the address as written), and
 * takes the first that answers. Attempts start again at the first (once it has not failed for
 * HUB_RETRY_FIRST_MS), so once the first hub is back the agent is on it at its next (re)connect; a
 * session on a later hub is not dropped for it.
 * No name is resolved here: the addresses are the agent's configuration (agent.hubs), so a hub's
 * failure is seen by the connect failing, never by waiting for a DNS record to expire.
 */
import type { TunnelCarriage } from './tunnel-carriage.js';

export interface ListedHub {
  /** For logs and errors: `192.0.2.10:5090`. */
  readonly name: string;
  readonly connect: () => Promise<TunnelCarriage>;
}

/** A hub that failed this recently, or whose connect is still pending from an earlier attempt, is tried last. */
export const HUB_RETRY_FIRST_MS = 30_000;

/**
 * One connector over `hubs`, tried in order; `onSkipped` is told of each hub that failed before a
 * later one was tried. All failing: one error naming each hub and its failure.
 *
 * A hub that failed within `retryFirstMs`, or whose connect from an earlier attempt still hangs
 * (a SYN into a dead link: the tunnel client starts a fresh attempt each second while calls are
 * up, tunnel/client.ts setUrgent), goes to the end of the order for now: else every attempt would
 * wait on the dead first hub and never reach the second. After that time it is first again.
 */
export function orderedHubConnector(
  hubs: readonly ListedHub[],
  onSkipped?: (hub: string, error: Error) => void,
  o: { readonly now?: () => number; readonly retryFirstMs?: number } = {},
): () => Promise<TunnelCarriage> {
  if (hubs.length === 0) throw new RangeError('orderedHubConnector: no hub given');
  const now = o.now ?? Date.now;
  const retryFirstMs = o.retryFirstMs ?? HUB_RETRY_FIRST_MS;
  const failedAt = new Map<ListedHub, number>();
  const pending = new Set<ListedHub>();
  const fresh = (hub: ListedHub): boolean => !pending.has(hub) && now() - (failedAt.get(hub) ?? -Infinity) >= retryFirstMs;
  return async () => {
    const order = [...hubs.filter(fresh), ...hubs.filter((h) => !fresh(h))];
    const failures: string[] = [];
    let lastError: Error | undefined;
    for (const [i, hub] of order.entries()) {
      pending.add(hub);
      try {
        const carriage = await hub.connect();
        failedAt.delete(hub);
        return carriage;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        failedAt.set(hub, now());
        failures.push(`${hub.name}: ${lastError.message}`);
        if (i < order.length - 1) onSkipped?.(hub.name, lastError);
      } finally {
        pending.delete(hub);
      }
    }
    throw new Error(`tunnel: no hub answered (${failures.join('; ')})`, { cause: lastError });
  };
}
