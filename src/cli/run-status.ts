/**
 * The `parts` of the agent's status file while `sbc-agent run` runs: mode, the LANs served and why,
 * plug-and-play counters and pending phones, the provisioning relay, STUN, the NAT check,
 * registrations and calls. `sbc-agent status` prints them.
 */
import type { ListenerStatus } from '../platform/index.js';
import type { Agent } from '../agent.js';
import type { AgentCdrStatus } from '../agent-cdr.js';
import type { RoutingSummary } from '../agent-routing.js';
import type { ProtectionService } from '../protection-service.js';
import type { NatStatus } from './run-nat.js';
import type { RunSettings } from './run-settings.js';
import type { HealthSnapshot } from '../survival/index.js';

export interface RunStatusSources {
  readonly agent: Agent;
  readonly settings: () => RunSettings;
  readonly nat: () => NatStatus;
  readonly mode: () => 'normal' | 'draining';
  readonly activeCalls: () => number;
  /** The stored routing snapshot; undefined until the hub pushed one. */
  readonly routing: () => RoutingSummary | undefined;
  /** The CDRs waiting for the hub. */
  readonly cdr?: () => AgentCdrStatus;
  readonly protection?: ProtectionService;
  /** agent.calls auto (issue 12): the survival mode, since when, why and what failback waits for. */
  readonly survival?: () => HealthSnapshot & { readonly transitions: number };
}

export function runStatusParts(s: RunStatusSources): { listeners: ListenerStatus[]; parts: Record<string, unknown> } {
  const settings = s.settings();
  const a = settings.agent;
  const lan = s.agent.lan;
  const stats = lan?.stats();
  const listeners: ListenerStatus[] = [];
  for (const sbc of s.agent.sbcs) {
    for (const t of ['UDP', 'TCP', 'TLS'] as const) {
      const local = sbc.stack.transport.localAddress(t);
      if (local !== undefined) listeners.push({ name: `sip-${t.toLowerCase()}`, address: local.address, port: local.port });
    }
  }
  listeners.push(...(lan?.listeners() ?? []));
  const phones = s.agent.registeredPhones();
  return {
    listeners,
    parts: {
      mode: s.mode(),
      lans: settings.lans.map((l) => ({ name: l.name, address: l.address, netmask: l.netmask, reason: l.reason })),
      pnp: stats === undefined ? undefined : { policy: lan?.inbox.policy, ...stats.pnp, phones: stats.phones },
      provisioning: { source: a.pnp.provisioning.kind, relay: stats?.relay },
      stun: { port: a.stun.port, sipPort: true, counters: stats?.stun },
      nat: s.nat(),
      registrations: { count: phones.length, phones },
      callControl: s.agent.callControl,
      survival: s.survival?.(),
      ...(s.agent.local === undefined ? {} : { local: { registrations: s.agent.localRegistrations(), counters: s.agent.local.registrar.counters, authFailures: s.agent.local.registrar.failures.total, failingSources: s.agent.local.registrar.failures.top(5) } }),
      calls: { active: s.activeCalls(), refusedDraining: s.agent.refusedDraining },
      routing: s.routing(),
      cdr: s.cdr?.(),
      protection: s.protection === undefined ? undefined : { ...s.protection.guard.counters(), blocks: s.protection.policy.blocks().length },
    },
  };
}
