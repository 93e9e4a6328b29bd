/**
 * The relayed registrations kept across restarts (issue 12, `agent.calls: auto`): each LAN's
 * RegistrationCache, with its phones' flows and last REGISTERs, in
 * `<state>/agent/relayed-registrations.json`. Loaded into the LANs' call paths at start, so an
 * agent restarted while the WAN is down routes its branch calls by them in survival (the phones,
 * registered for an hour, do not register again) and re-registers them upstream at failback.
 * Written crash-safe (temporary file, fsync, rename; 0600: the REGISTERs carry digest responses)
 * within a second of a change, and once more at close. A file that is not ours is logged and
 * left to be replaced: the phones' next registrations fill the cache again.
 */
import { join } from 'node:path';
import type { Clock, Logger, Timer } from './core/index.js';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from './platform/index.js';
import { AgentSbc, RELAYED_REGISTRATIONS_FILE, decodeRelayed, encodeRelayed, relayedState, restoreRelayed, type RelayedRegistration } from './sbc/index.js';

/** Each LAN's address with its call path toward the PBX (the agent's `lans` and `sbcs` are in the same order). */
export interface RelayedLans {
  readonly lans: readonly { readonly address: string }[];
  readonly sbcs: readonly unknown[];
}

export const RELAYED_WRITE_INTERVAL_MS = 1000;

function pbxPathsByLan(agent: RelayedLans): Map<string, AgentSbc> {
  const out = new Map<string, AgentSbc>();
  for (const [i, lan] of agent.lans.entries()) {
    const sbc = agent.sbcs[i];
    if (sbc instanceof AgentSbc) out.set(lan.address, sbc);
  }
  return out;
}

export class RelayedRegistrationsStore {
  readonly path: string;
  readonly #agent: RelayedLans;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #timer: Timer | undefined;
  #written = -1;
  #writing: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  constructor(o: { readonly dir: string; readonly agent: RelayedLans; readonly clock: Clock; readonly logger: Logger }) {
    this.path = join(o.dir, RELAYED_REGISTRATIONS_FILE);
    this.#agent = o.agent;
    this.#clock = o.clock;
    this.#logger = o.logger;
  }

  /** Loads the stored bindings into the LANs served now (by address); returns how many were restored. */
  async load(): Promise<number> {
    let stored: ReadonlyMap<string, readonly RelayedRegistration[]>;
    try {
      const data = await readFileIfExists(this.path);
      if (data === undefined) return 0;
      stored = decodeRelayed(data);
    } catch (err) {
      this.#logger.warn({ err, path: this.path }, 'relayed registrations not restored: the file is not ours; the phones fill it again as they register');
      return 0;
    }
    let restored = 0;
    for (const [address, sbc] of pbxPathsByLan(this.#agent)) restored += restoreRelayed(sbc, this.#clock, stored.get(address) ?? []);
    this.#written = this.#changes();
    this.#logger.info({ restored, path: this.path }, 'relayed registrations restored');
    return restored;
  }

  /** Writes within RELAYED_WRITE_INTERVAL_MS of every change. */
  start(): void {
    this.#timer ??= this.#clock.setInterval(() => void this.#flush(), RELAYED_WRITE_INTERVAL_MS);
  }

  #changes(): number {
    let sum = 0;
    for (const sbc of pbxPathsByLan(this.#agent).values()) sum += sbc.registrations.changes;
    return sum;
  }

  #flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const changes = this.#changes();
      if (changes === this.#written) return;
      const byLan = new Map<string, RelayedRegistration[]>();
      for (const [address, sbc] of pbxPathsByLan(this.#agent)) byLan.set(address, relayedState(sbc, this.#clock));
      try {
        await writeFileAtomic(this.path, encodeRelayed(byLan), { mode: PRIVATE_FILE_MODE });
        this.#written = changes;
      } catch (err) {
        this.#logger.warn({ err, path: this.path }, 'relayed registrations not written');
      }
    });
    return this.#writing;
  }

  /** Stops the timer after a last write of what changed; call it before the call paths close. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timer?.cancel();
      await this.#flush();
    })();
    return this.#closed;
  }
}
