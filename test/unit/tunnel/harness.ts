/** Client and server over in-memory pipes and one ManualClock, for the session tests. */
import { ManualClock } from '../../../src/core/index.js';
import { GoAwayReason, TunnelClient, TunnelServer, type GoAway, type SessionOptions, type TunnelSession } from '../../../src/tunnel/index.js';
import { MemoryPipe, settle } from '../../support/tunnel-pipe.js';

export interface Harness {
  readonly clock: ManualClock;
  readonly client: TunnelClient;
  server: TunnelServer;
  readonly pipes: MemoryPipe[];
  readonly serverSessions: TunnelSession[];
  /** The pipe of the current connection. */
  readonly pipe: MemoryPipe;
  revoked: boolean;
}

export async function connectedPair(options: SessionOptions & { highWater?: number; resumeWindowMs?: number; server?: SessionOptions } = {}): Promise<Harness> {
  const clock = new ManualClock(0);
  const pipes: MemoryPipe[] = [];
  const serverSessions: TunnelSession[] = [];
  const h: Harness = {
    clock,
    client: undefined as unknown as TunnelClient,
    server: undefined as unknown as TunnelServer,
    pipes,
    serverSessions,
    get pipe(): MemoryPipe {
      const p = pipes[pipes.length - 1];
      if (p === undefined) throw new Error('no pipe yet');
      return p;
    },
    revoked: false,
  };
  const makeServer = (): TunnelServer => {
    const server = new TunnelServer({
      ...options,
      ...options.server,
      clock,
      identity: 'hub',
      ...(options.resumeWindowMs !== undefined ? { resumeWindowMs: options.resumeWindowMs } : {}),
      authorize: (): GoAway | undefined => (h.revoked ? { reason: GoAwayReason.REVOKED, message: 'revoked by the admin' } : undefined),
      randomBytes: (n) => Buffer.alloc(n, pipes.length),
    });
    server.on('session', (s) => serverSessions.push(s));
    return server;
  };
  h.server = makeServer();
  (h as { client: TunnelClient }).client = new TunnelClient({
    ...options,
    clock,
    identity: 'agent-1',
    random: () => 0,
    connect: async () => {
      const pipe = new MemoryPipe(options.highWater !== undefined ? { highWater: options.highWater } : {});
      pipes.push(pipe);
      h.server.accept(pipe.b);
      return pipe.a;
    },
  });
  h.client.start();
  await settle();
  return h;
}

export { settle };
