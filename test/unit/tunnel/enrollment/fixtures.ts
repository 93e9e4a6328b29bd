/** Shared pieces of the enrollment tests: an in-memory SBC list file, a CA made once, cheap scrypt. */
import { X509Certificate } from 'node:crypto';
import { ManualClock, silentLogger } from '../../../../src/core/index.js';
import {
  AttemptLimiter,
  EnrollmentService,
  HubCa,
  SbcStore,
  createCaCertificate,
  type EnrollHttpRequest,
  type LockoutPolicy,
  type ScryptParams,
  type StoreBackend,
} from '../../../../src/tunnel/index.js';

/** Low cost so the suite stays fast; the parameters are stored with each hash, so this is honest. */
export const FAST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

export class MemoryBackend implements StoreBackend {
  text: string | undefined;
  writes = 0;
  #queue: Promise<unknown> = Promise.resolve();

  read(): Promise<string | undefined> {
    return Promise.resolve(this.text);
  }

  write(text: string): Promise<void> {
    this.text = text;
    this.writes += 1;
    return Promise.resolve();
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

const caClock = new ManualClock(0, Date.UTC(2026, 0, 1));
const caPair = createCaCertificate(caClock, 'test hub CA');
export const CA_PAIR = caPair;
export const SERVER_PAIR = new HubCa(caPair, caClock).issueServerCertificate(['hub.test', '127.0.0.1']);
export const SERVER_CHAIN = [new X509Certificate(SERVER_PAIR.certPem).raw, new X509Certificate(caPair.certPem).raw];

export interface Harness {
  readonly clock: ManualClock;
  readonly backend: MemoryBackend;
  readonly store: SbcStore;
  readonly ca: HubCa;
  readonly limiter: AttemptLimiter;
  readonly service: EnrollmentService;
}

export const NO_DELAY: LockoutPolicy = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000, baseDelayMs: 0, maxDelayMs: 0, maxTracked: 100 };

export async function harness(policy: LockoutPolicy = NO_DELAY): Promise<Harness> {
  const clock = new ManualClock(0, Date.UTC(2026, 0, 1));
  const backend = new MemoryBackend();
  const store = await SbcStore.open(backend, clock);
  const ca = new HubCa(caPair, clock);
  const limiter = new AttemptLimiter(clock, policy);
  const service = new EnrollmentService({
    store,
    ca,
    limiter,
    clock,
    logger: silentLogger,
    scrypt: FAST_SCRYPT,
    addresses: (host) => ({ name: 'hub.test', tunnel: { host: host ?? 'hub.test', port: 5090 }, wss: { url: 'wss://hub.test/tunnel' } }),
  });
  return { clock, backend, store, ca, limiter, service };
}

export function post(id: string, body: unknown, remoteAddress = '127.0.0.2'): EnrollHttpRequest {
  return { method: 'POST', path: `/enroll/${id}`, remoteAddress, host: 'hub.test:5001', body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}
