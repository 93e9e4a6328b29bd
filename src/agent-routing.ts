/**
 * The agent's copy of the routing model (issue 11, replication). The hub pushes the branch's
 * snapshot over the tunnel's config push (PROTOCOL.md "Config push", kind `routing-snapshot`);
 * this service takes every transfer of every tunnel session, validates it with the same rules as
 * the hub's file, keeps it only if its version is not older than the stored one, and writes it
 * atomically (0600) to `<state>/agent/routing.json`, which it reads back at start so that an agent
 * restarted without the WAN routes with its last snapshot.
 */
import { join } from 'node:path';
import { TypedEmitter, describeError, type Logger } from './core/index.js';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from './platform/index.js';
import { SNAPSHOT_KIND, acceptsSnapshot, decodeSnapshot, type RoutingModel } from './routing/index.js';
import { configKind } from './survival/index.js';

/** What the service needs of a tunnel session: its config transfers. */
export interface ConfigSource {
  on(event: 'config', listener: (transfer: { readonly id: number; readonly data: Buffer }) => void): () => void;
}

/** What the service needs of the tunnel client: the current session and each new one. */
export interface SessionSource {
  readonly session: ConfigSource;
  on(event: 'session', listener: (session: ConfigSource) => void): () => void;
}

export interface AgentRoutingOptions {
  /** `<state>/agent`: the file is `routing.json` in it. */
  readonly dir: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface RoutingSummary {
  readonly version: number;
  readonly extensions: number;
  /** ISO time the snapshot was received (or loaded, for a stored one: its file's write time is not kept). */
  readonly receivedAt: string;
}

export type AgentRoutingEvents = { changed: RoutingModel };

export const ROUTING_FILE = 'routing.json';

export class AgentRouting extends TypedEmitter<AgentRoutingEvents> {
  readonly path: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #model: RoutingModel | undefined;
  #receivedAt: string | undefined;
  #offs: (() => void)[] = [];
  /** Writes run one after the other so an older snapshot never lands after a newer one. */
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: AgentRoutingOptions) {
    super();
    this.path = join(options.dir, ROUTING_FILE);
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
  }

  /** Loads the stored snapshot (a broken one is logged and ignored) and listens to every session. */
  async start(client: SessionSource): Promise<void> {
    const stored = await readFileIfExists(this.path);
    if (stored !== undefined) {
      try {
        this.#model = decodeSnapshot(stored);
        this.#receivedAt = this.#now().toISOString();
        this.#logger.info({ version: this.#model.version }, 'routing snapshot loaded from disk');
      } catch (err) {
        this.#logger.warn({ path: this.path, err: describeError(err) }, 'stored routing snapshot ignored');
      }
    }
    this.#listen(client.session);
    this.#offs.push(client.on('session', (s) => this.#listen(s)));
  }

  current(): RoutingModel | undefined {
    return this.#model;
  }

  summary(): RoutingSummary | undefined {
    const m = this.#model;
    if (m === undefined || this.#receivedAt === undefined) return undefined;
    return { version: m.version, extensions: m.extensions.length, receivedAt: this.#receivedAt };
  }

  /** Takes one pushed snapshot; resolves once it is stored (or refused). */
  receive(data: Buffer): Promise<void> {
    let model: RoutingModel;
    try {
      model = decodeSnapshot(data);
    } catch (err) {
      this.#logger.warn({ err: describeError(err) }, 'routing snapshot refused');
      return this.#writes;
    }
    if (!acceptsSnapshot(this.#model, model)) {
      this.#logger.info({ version: model.version, stored: this.#model?.version }, 'older routing snapshot ignored');
      return this.#writes;
    }
    this.#model = model;
    this.#receivedAt = this.#now().toISOString();
    this.#writes = this.#writes.then(async () => {
      if (this.#closed) return;
      try {
        await writeFileAtomic(this.path, data, { mode: PRIVATE_FILE_MODE });
        this.#logger.info({ version: model.version, extensions: model.extensions.length }, 'routing snapshot stored');
      } catch (err) {
        this.#logger.error({ path: this.path, err: describeError(err) }, 'routing snapshot not stored');
      }
    });
    this.emit('changed', model);
    return this.#writes;
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#offs.splice(0)) off();
    return this.#writes;
  }

  #listen(session: ConfigSource): void {
    // The config push carries other kinds too (the hub's `pbx-health` reports): those are not ours;
    // a push with no readable kind is taken, so that its refusal is logged.
    this.#offs.push(session.on('config', (t) => {
      const kind = configKind(t.data);
      if (kind === undefined || kind === SNAPSHOT_KIND) void this.receive(t.data);
    }));
  }
}
