/**
 * The agent's CDR buffer against a model: any sequence of appends (one by one or together,
 * new ids or ids already waiting), acknowledgements (of waiting, dropped or unknown ids) and
 * restarts leaves exactly the records the model holds, in append order: no unacknowledged record
 * is lost while under the bound (beyond it the oldest go first), and no acknowledged one comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CdrBuffer } from '../../src/cdr/index.js';
import { cdr } from '../support/cdr-records.js';

const MAX_RECORDS = 6;
const IDS = 14;

type Op =
  | { readonly kind: 'append'; readonly n: number }
  | { readonly kind: 'appendTogether'; readonly ns: readonly number[] }
  | { readonly kind: 'ack'; readonly ns: readonly number[] }
  | { readonly kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), n: fc.nat(IDS - 1) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('appendTogether' as const), ns: fc.array(fc.nat(IDS - 1), { minLength: 1, maxLength: 8 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('ack' as const), ns: fc.array(fc.nat(IDS - 1), { maxLength: 5 }) }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
);

/**
 * The model: waiting ids in append order. Appends made together are checked for duplicates
 * against what waits when they are made, then written as one batch, then the oldest beyond the
 * bound are dropped.
 */
function appendModel(model: number[], ns: readonly number[]): void {
  for (const n of ns) if (!model.includes(n)) model.push(n);
  while (model.length > MAX_RECORDS) model.shift();
}

test('any sequence of append, ack and restart leaves exactly the model\'s records, in order', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sbc-cdr-property-'));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = join(root, String(run++));
        const model: number[] = [];
        let buffer = await CdrBuffer.open({ dir, maxRecords: MAX_RECORDS, durable: false });
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              await buffer.append(cdr(o.n));
              appendModel(model, [o.n]);
            } else if (o.kind === 'appendTogether') {
              await Promise.all(o.ns.map((n) => buffer.append(cdr(n))));
              appendModel(model, o.ns);
            } else if (o.kind === 'ack') {
              await buffer.ack(o.ns.map((n) => cdr(n).id));
              for (const n of o.ns) {
                const at = model.indexOf(n);
                if (at >= 0) model.splice(at, 1);
              }
            } else {
              await buffer.close();
              buffer = await CdrBuffer.open({ dir, maxRecords: MAX_RECORDS, durable: false });
            }
            const ids = (await buffer.peek(IDS + 1)).map((r) => r.id);
            assert.deepEqual(ids, model.map((n) => cdr(n).id), JSON.stringify(o));
            assert.equal(buffer.stats().pending, model.length);
          }
        } finally {
          await buffer.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 150 },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
