/**
 * The phone inbox: every phone that asked for its configuration, with the admin's decision.
 * Policy `inbox` (the default) answers approved phones only, `auto` approves and answers every
 * phone, `off` answers nobody. The in-memory view answers the responder synchronously; changes
 * go to the InboxFile in the background (first sighting at once, later "last seen" updates at
 * most every PERSIST_EVERY_MS), and a change made by another process (`sbc-agent phones
 * approve`) is picked up by `reload()`.
 */
import { describeError, type Clock, type Logger, type Timer } from '../core/index.js';
import type { InboxData, InboxFile, PhoneRecord } from './inbox-file.js';
import type { PhoneIdentity } from './vendor.js';

export type PnpPolicy = 'inbox' | 'auto' | 'off';
export const PNP_POLICIES: readonly PnpPolicy[] = ['inbox', 'auto', 'off'];

export type InboxDecision = 'answer' | 'pending' | 'rejected' | 'off';

const PERSIST_EVERY_MS = 5_000;

/** The inbox key of a phone: its MAC, or its address when it sends none (AudioCodes). */
export function phoneId(mac: string | undefined, ip: string): string {
  return mac ?? `ip:${ip}`;
}

export class PhoneInbox {
  readonly #file: InboxFile;
  readonly #clock: Clock;
  readonly #log: Logger;
  #policy: PnpPolicy;
  #phones = new Map<string, PhoneRecord>();
  /** Records changed here and not yet written. */
  readonly #dirty = new Map<string, PhoneRecord>();
  #flushTimer: Timer | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(file: InboxFile, policy: PnpPolicy, clock: Clock, log: Logger) {
    this.#file = file;
    this.#policy = policy;
    this.#clock = clock;
    this.#log = log;
  }

  get policy(): PnpPolicy {
    return this.#policy;
  }

  /** A new policy (a configuration reload): phones seen from now on are judged by it. */
  setPolicy(policy: PnpPolicy): void {
    if (policy === this.#policy) return;
    this.#log.info({ from: this.#policy, to: policy }, 'pnp policy changed');
    this.#policy = policy;
  }

  /** Loads (or re-loads) the file; records not yet written keep their local changes. */
  reload(): void {
    let data: InboxData;
    try {
      data = this.#file.read();
    } catch (error) {
      this.#log.warn({ err: describeError(error) }, 'phone inbox unreadable; keeping the previous view');
      return;
    }
    const next = new Map(data.phones.map((p) => [p.id, p]));
    for (const [id, local] of this.#dirty) {
      const onDisk = next.get(id);
      next.set(id, onDisk === undefined ? local : { ...local, state: onDisk.state, extension: onDisk.extension });
    }
    this.#phones = next;
  }

  list(): PhoneRecord[] {
    return [...this.#phones.values()];
  }

  get(id: string): PhoneRecord | undefined {
    return this.#phones.get(id);
  }

  /** The phone that last asked from `ip` (for the relay, when the path names no MAC). */
  findByIp(ip: string): PhoneRecord | undefined {
    let found: PhoneRecord | undefined;
    for (const p of this.#phones.values()) if (p.ip === ip && (found === undefined || (p.lastSeen ?? '') > (found.lastSeen ?? ''))) found = p;
    return found;
  }

  /** Records a SUBSCRIBE and says whether to answer it. */
  observe(identity: PhoneIdentity, ip: string): InboxDecision {
    const id = phoneId(identity.mac, ip);
    const now = new Date(this.#clock.wallNow()).toISOString();
    const old = this.#phones.get(id);
    const state = old?.state ?? (this.#policy === 'auto' ? 'approved' : 'pending');
    const record: PhoneRecord = {
      id, state,
      mac: identity.mac, brand: identity.brand, model: identity.model ?? old?.model, firmware: identity.firmware ?? old?.firmware,
      userAgent: identity.userAgent ?? old?.userAgent, ip,
      firstSeen: old?.firstSeen ?? now, lastSeen: now, extension: old?.extension,
    };
    this.#phones.set(id, record);
    this.#dirty.set(id, record);
    if (old === undefined || old.firstSeen === undefined || old.ip !== ip) this.#flushSoon(0);
    else this.#flushSoon(PERSIST_EVERY_MS);
    if (this.#policy === 'off') return 'off';
    if (state === 'approved') return 'answer';
    return state;
  }

  /** Waits for every pending write (tests, shutdown). */
  async flush(): Promise<void> {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    await this.#write();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
  }

  #flushSoon(ms: number): void {
    if (this.#closed || this.#flushTimer !== undefined) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#write();
    }, ms);
  }

  #write(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#dirty.size === 0) return;
      const changes = [...this.#dirty.values()];
      this.#dirty.clear();
      try {
        const written = await this.#file.update((data) => mergeSightings(data, changes));
        this.#phones = new Map(written.phones.map((p) => [p.id, p]));
        for (const [id, local] of this.#dirty) this.#phones.set(id, local);
      } catch (error) {
        for (const c of changes) if (!this.#dirty.has(c.id)) this.#dirty.set(c.id, c);
        this.#log.error({ err: describeError(error) }, 'phone inbox not saved');
      }
    });
    return this.#writing;
  }
}

/** Sightings change what the phone told us; the admin's decision on disk always wins. */
export function mergeSightings(data: InboxData, sightings: readonly PhoneRecord[]): InboxData {
  const byId = new Map(data.phones.map((p) => [p.id, p]));
  for (const s of sightings) {
    const disk = byId.get(s.id);
    byId.set(s.id, disk === undefined ? s : { ...s, state: disk.state, extension: disk.extension, firstSeen: disk.firstSeen ?? s.firstSeen });
  }
  return { version: 1, phones: [...byId.values()] };
}

/** The admin's decision (CLI, later the admin API): creates the record when the phone is not known yet. */
export function decide(data: InboxData, id: string, state: 'approved' | 'rejected', extension?: string): InboxData {
  const phones = data.phones.filter((p) => p.id !== id);
  const old = data.phones.find((p) => p.id === id);
  const isMac = /^[0-9a-f]{12}$/.test(id);
  phones.push({
    id, state,
    mac: old?.mac ?? (isMac ? id : undefined), brand: old?.brand ?? 'unknown', model: old?.model, firmware: old?.firmware,
    userAgent: old?.userAgent, ip: old?.ip ?? (id.startsWith('ip:') ? id.slice(3) : undefined),
    firstSeen: old?.firstSeen, lastSeen: old?.lastSeen,
    extension: extension ?? (state === 'approved' ? old?.extension : undefined),
  });
  return { version: 1, phones };
}
