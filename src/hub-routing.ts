/**
 * The hub's routing service (issue 11, replication): reads the `hub.routing` file at start (a
 * broken file is a ConfigError naming the field and the file: exit 3), polls it every second on the
 * injected clock and re-reads it when its text changes; a changed model gets version
 * max(file version, previous + 1), an invalid change keeps the last good model and is logged. Each
 * agent session gets its branch's snapshot (routing/snapshot.ts) when it opens or resumes (a
 * transfer cut by a broken path is abandoned, PROTOCOL.md "Config push") and on every change.
 * The file may hold `password:` fields (the admin's source); they become HA1s before anything leaves.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, componentLogger, describeError, type Clock, type Logger, type Timer } from './core/index.js';
import type { HubService } from './hub.js';
import { encodeSnapshot, nextVersion, parseRoutingYaml, type RoutingModel } from './routing/index.js';

export const ROUTING_POLL_MS = 1000;

/** What the service needs of a session: to push bytes to it. */
export interface PushTarget {
  pushConfig(data: Buffer): number;
}

/** What the service needs of the tunnel server. */
export interface SessionHost<S extends PushTarget> {
  sessions(): S[];
  on(event: 'session' | 'resumed', listener: (session: S) => void): () => void;
}

export interface HubRoutingOptions<S extends PushTarget> {
  /** The routing file, already resolved against the config file's folder. */
  readonly path: string;
  readonly server: SessionHost<S>;
  readonly sbcName: (session: S) => string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollMs?: number;
}

export class HubRouting<S extends PushTarget> implements HubService {
  readonly name = 'routing';
  readonly #o: HubRoutingOptions<S>;
  readonly #log: Logger;
  #text: string | undefined;
  #model: RoutingModel | undefined;
  #timer: Timer | undefined;
  #offs: (() => void)[] = [];
  #reading = false;
  #closed = false;

  constructor(o: HubRoutingOptions<S>) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'routing');
  }

  current(): RoutingModel | undefined {
    return this.#model;
  }

  async start(): Promise<void> {
    const text = await this.#read();
    try {
      this.#model = parseRoutingYaml(text, { allowPasswords: true });
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`hub.routing (${this.#o.path}): ${err.path}`, err.message);
      throw err;
    }
    this.#text = text;
    this.#log.info({ path: this.#o.path, version: this.#model.version, extensions: this.#model.extensions.length }, 'routing model loaded');
    const push = (s: S): void => this.#push(s);
    this.#offs.push(this.#o.server.on('session', push), this.#o.server.on('resumed', push));
    for (const s of this.#o.server.sessions()) this.#push(s);
    this.#timer = this.#o.clock.setInterval(() => void this.poll(), this.#o.pollMs ?? ROUTING_POLL_MS);
  }

  /** Re-reads the file; a changed, valid model is versioned and pushed to every session. */
  async poll(): Promise<void> {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    try {
      const text = await this.#read();
      if (text === this.#text || this.#closed) return;
      this.#text = text;
      let parsed: RoutingModel;
      try {
        parsed = parseRoutingYaml(text, { allowPasswords: true });
      } catch (err) {
        this.#log.warn({ path: this.#o.path, err: describeError(err) }, 'routing file change refused: the last good model stays');
        return;
      }
      this.#model = { ...parsed, version: nextVersion(parsed.version, this.#model?.version) };
      this.#log.info({ version: this.#model.version }, 'routing model changed');
      for (const s of this.#o.server.sessions()) this.#push(s);
    } catch (err) {
      this.#log.warn({ path: this.#o.path, err: describeError(err) }, 'routing file not readable: the last good model stays');
    } finally {
      this.#reading = false;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    for (const off of this.#offs.splice(0)) off();
    return Promise.resolve();
  }

  async #read(): Promise<string> {
    try {
      return await readFile(this.#o.path, 'utf8');
    } catch (err) {
      throw new ConfigError('hub.routing', `cannot read the routing file ${this.#o.path}: ${describeError(err)}`);
    }
  }

  #push(session: S): void {
    const model = this.#model;
    if (model === undefined || this.#closed) return;
    const sbc = this.#o.sbcName(session);
    try {
      session.pushConfig(encodeSnapshot(model, sbc, model.version));
      this.#log.info({ sbc, version: model.version }, 'routing snapshot pushed');
    } catch (err) {
      this.#log.warn({ sbc, err: describeError(err) }, 'routing snapshot not pushed');
    }
  }
}
