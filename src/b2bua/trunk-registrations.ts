/**
 * REGISTER for the register trunks of the routing snapshot that this agent uses (the trunk's
 * `agent` is this agent, or absent): one RegisterClient per trunk with its HA1 (the snapshot never
 * holds a password), refreshed every `reregisterSeconds`. update() with a new snapshot starts the
 * trunks that appeared or changed and unregisters the ones that went away.
 */
import { silentLogger, type Logger } from '../core/index.js';
import type { RoutingModel, Trunk } from '../routing/index.js';
import { RegisterClient, type Registration, type SipEndpoint } from '../sip/index.js';

type RegisterTrunk = Extract<Trunk, { kind: 'register' }>;

export interface TrunkRegistrationsOptions {
  readonly stack: SipEndpoint;
  readonly agent: string;
  readonly logger?: Logger;
  /** Told of each registration result (status, tests). */
  readonly onResult?: (trunk: string, result: { readonly ok: true; readonly registration: Registration } | { readonly ok: false; readonly error: unknown }) => void;
}

interface Entry {
  readonly key: string;
  readonly client: RegisterClient;
}

/** Everything that, changed, needs a new registration. */
function trunkKey(t: RegisterTrunk): string {
  return JSON.stringify([t.host, t.port, t.username, t.ha1, t.realm, t.reregisterSeconds]);
}

export class TrunkRegistrations {
  readonly #o: TrunkRegistrationsOptions;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: TrunkRegistrationsOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  /** The trunks registered or being registered, by name. */
  get trunks(): readonly string[] {
    return [...this.#entries.keys()];
  }

  /** Applies a snapshot: register new or changed trunks, unregister the ones gone. */
  update(model: RoutingModel | undefined): void {
    if (this.#closed) return;
    const wanted = new Map<string, RegisterTrunk>();
    for (const t of model?.trunks ?? []) {
      if (t.kind === 'register' && (t.agent === undefined || t.agent === this.#o.agent)) wanted.set(t.name, t);
    }
    for (const [name, entry] of [...this.#entries]) {
      const trunk = wanted.get(name);
      if (trunk !== undefined && trunkKey(trunk) === entry.key) continue;
      this.#stop(name, entry);
    }
    for (const [name, trunk] of wanted) if (!this.#entries.has(name)) this.#start(name, trunk);
  }

  /** Unregisters every trunk (best effort) and stops refreshing. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#entries].map(([name, entry]) => this.#stop(name, entry)));
  }

  #start(name: string, trunk: RegisterTrunk): void {
    const client = new RegisterClient({
      endpoint: this.#o.stack,
      target: { transport: 'UDP', host: trunk.host, port: trunk.port },
      registrarUri: `sip:${trunk.host}:${trunk.port}`,
      aor: `sip:${trunk.username}@${trunk.host}`,
      username: trunk.username,
      ha1: trunk.ha1,
      expires: trunk.reregisterSeconds,
      // Refresh once `reregisterSeconds` has nearly passed, not at the default 80 %.
      refreshRatio: 0.9,
    });
    this.#entries.set(name, { key: trunkKey(trunk), client });
    const report = this.#o.onResult ?? (() => {});
    client.onEvent((event) => {
      if (event.type === 'registered') report(name, { ok: true, registration: event.registration });
      else {
        this.#log.warn({ err: event.error, trunk: name }, 'trunk registration refresh failed');
        report(name, { ok: false, error: event.error });
      }
    });
    client.register().then(
      (registration) => report(name, { ok: true, registration }),
      (error: unknown) => {
        this.#log.warn({ err: error, trunk: name }, 'trunk registration failed');
        report(name, { ok: false, error });
      },
    );
  }

  async #stop(name: string, entry: Entry): Promise<void> {
    this.#entries.delete(name);
    entry.client.close();
    await entry.client.unregister().catch(() => {});
  }
}
