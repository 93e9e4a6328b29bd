/**
 * The order a queue's agents are rung in for one pass, by strategy (feature-model.ts
 * QueueStrategy): a list of steps, each the agents that ring together. Pure: the counters and
 * the random source come in as arguments. Sorts are stable (ES2019), so ties keep the agents'
 * order, which is the queue's priority order.
 */
import type { CallQueue } from './feature-model.js';

/** What the sorted strategies read about an agent. */
export interface AgentCounters {
  /** Queue calls this agent answered. */
  readonly answered: number;
  /** Milliseconds this agent talked on queue calls. */
  readonly talkMs: number;
  /** When (clock ms) the agent's last queue call ended, or when it signed in. */
  readonly idleSince: number;
}

export interface OrderContext {
  /** The agent who took the queue's last call (round robin starts after it). */
  readonly lastAnswered: string | undefined;
  readonly counters: (agent: string) => AgentCounters;
  /** A number in [0, 1), as Math.random. */
  readonly random: () => number;
}

/** Three at a time: the 3CX "hunt by threes" strategies. */
const GROUP_OF = 3;

function rotate(agents: readonly string[], start: number): string[] {
  return [...agents.slice(start), ...agents.slice(0, start)];
}

function chunks(agents: readonly string[], size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < agents.length; i += size) out.push(agents.slice(i, i + size));
  return out;
}

function randomIndex(random: () => number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(random() * n)));
}

/** Fisher–Yates, with the injected random source. */
function shuffle(agents: readonly string[], random: () => number): string[] {
  const out = [...agents];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [out[i], out[j]] = [out[j] ?? '', out[i] ?? ''];
  }
  return out;
}

function sortedBy(agents: readonly string[], key: (agent: string) => number): string[] {
  return [...agents].sort((a, b) => key(a) - key(b));
}

/** The steps of one pass over `queue.agents`. */
export function ringSteps(queue: Pick<CallQueue, 'agents' | 'strategy'>, ctx: OrderContext): readonly (readonly string[])[] {
  const agents = queue.agents;
  if (agents.length === 0) return [];
  const one = (list: readonly string[]): string[][] => list.map((a) => [a]);
  switch (queue.strategy) {
    case 'ring-all':
      return [[...agents]];
    case 'prioritized-hunt':
      return one(agents);
    case 'random-start-hunt':
      return one(rotate(agents, randomIndex(ctx.random, agents.length)));
    case 'round-robin': {
      const last = ctx.lastAnswered === undefined ? -1 : agents.indexOf(ctx.lastAnswered);
      return one(rotate(agents, last + 1));
    }
    case 'longest-waiting':
      return one(sortedBy(agents, (a) => ctx.counters(a).idleSince));
    case 'least-talk-time':
      return one(sortedBy(agents, (a) => ctx.counters(a).talkMs));
    case 'fewest-answered':
      return one(sortedBy(agents, (a) => ctx.counters(a).answered));
    case 'hunt-by-threes-random':
      return chunks(shuffle(agents, ctx.random), GROUP_OF);
    case 'hunt-by-threes-prioritized':
      return chunks(agents, GROUP_OF);
  }
}
