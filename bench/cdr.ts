/**
 * `npm run bench:cdr`: what the CDR buffer and store cost on this machine's disk, durable (fsync)
 * as in production. Prints appends per second one at a time (each call's end waits for its own
 * fsync), a burst appended at once (batched into files of 200), draining the buffer by 200-record
 * acknowledgements, appending to a full buffer (each append drops the oldest), and the hub's store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrBuffer, CdrStore, MAX_BATCH_RECORDS } from '../src/cdr/index.js';
import type { CdrRecord } from '../src/routing/index.js';

const T0 = Date.UTC(2026, 11, 3, 10);

function record(n: number): CdrRecord {
  const startedAt = T0 + n * 1000;
  return {
    id: `bench-${n}`, callId: `call-${n}@branch`, caller: '101', callee: String(200 + (n % 100)), direction: 'internal',
    startedAt, answeredAt: startedAt + 4000, endedAt: startedAt + 64_000, talkSeconds: 60, endedReason: 'completed',
    endedBy: 'caller', finalDestination: `extension:${200 + (n % 100)}`, agent: 'branch-bench', survival: false,
  };
}

async function timed(what: string, count: number, fn: () => Promise<void>): Promise<void> {
  const started = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${what.padEnd(58)} ${String(count).padStart(6)} records  ${ms.toFixed(0).padStart(6)} ms  ${Math.round((count * 1000) / ms).toString().padStart(7)} /s\n`);
}

const root = await mkdtemp(join(tmpdir(), 'sbc-bench-cdr-'));
try {
  const buffer = await CdrBuffer.open({ dir: join(root, 'agent') });
  await timed('buffer: append one at a time (one fsync each)', 300, async () => {
    for (let n = 0; n < 300; n++) await buffer.append(record(n));
  });
  await timed('buffer: append a burst at once (files of 200)', 10_000, async () => {
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => buffer.append(record(1000 + i))));
  });
  await timed('buffer: reopen and read back', buffer.stats().pending, async () => {
    await buffer.close();
    (await CdrBuffer.open({ dir: join(root, 'agent') })).close();
  });
  const again = await CdrBuffer.open({ dir: join(root, 'agent') });
  const pending = again.stats().pending;
  await timed('buffer: drain by peek + ack of 200', pending, async () => {
    for (;;) {
      const batch = await again.peek(MAX_BATCH_RECORDS);
      if (batch.length === 0) break;
      await again.ack(batch.map((r) => r.id));
    }
  });
  await again.close();

  const full = await CdrBuffer.open({ dir: join(root, 'full'), maxRecords: 2000 });
  await Promise.all(Array.from({ length: 2000 }, (_, i) => full.append(record(i))));
  await timed('buffer: append one at a time to a full buffer (drops)', 200, async () => {
    for (let n = 0; n < 200; n++) await full.append(record(5000 + n));
  });
  await full.close();

  const store = await CdrStore.open({ dir: join(root, 'hub'), now: () => T0 });
  await timed('hub store: batches of 200, new ids', 10_000, async () => {
    for (let at = 0; at < 10_000; at += MAX_BATCH_RECORDS) await store.store(Array.from({ length: MAX_BATCH_RECORDS }, (_, i) => record(at + i)));
  });
  await timed('hub store: the same batches again (all duplicates)', 10_000, async () => {
    for (let at = 0; at < 10_000; at += MAX_BATCH_RECORDS) await store.store(Array.from({ length: MAX_BATCH_RECORDS }, (_, i) => record(at + i)));
  });
  await store.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
