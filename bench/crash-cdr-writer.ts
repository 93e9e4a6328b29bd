/**
 * The CDR side of the crash loop (bench/crash-loop.ts): opens the agent's real CdrBuffer on a
 * folder and appends records until it is killed, printing `appended N` after each append has
 * resolved (the buffer promises the record is on disk by then). The loop kills it with SIGKILL and
 * checks that a new open finds at least the last N printed, and no broken batch.
 *
 * Usage: node dist/bench/crash-cdr-writer.js DIR FIRST_ID
 */
import { CdrBuffer } from '../src/cdr/index.js';
import type { CdrRecord } from '../src/routing/index.js';

const [dir, firstText] = process.argv.slice(2);
if (dir === undefined || firstText === undefined) {
  process.stderr.write('usage: crash-cdr-writer DIR FIRST_ID\n');
  process.exit(2);
}
const first = Number.parseInt(firstText, 10);
const buffer = await CdrBuffer.open({ dir, maxRecords: 1_000_000, maxBytes: 512 * 1024 * 1024 });
process.stdout.write(`open ${buffer.stats().pending}\n`);
for (let n = first; ; n++) {
  const startedAt = Date.now();
  const record: CdrRecord = {
    id: `crash-${String(n).padStart(9, '0')}`,
    callId: `crash-${n}@branch`,
    caller: '101',
    callee: '200',
    direction: 'internal',
    startedAt,
    answeredAt: startedAt + 1_000,
    endedAt: startedAt + 2_000,
    talkSeconds: 1,
    endedReason: 'completed',
    endedBy: 'caller',
    finalDestination: 'extension:200',
    agent: 'crash-loop',
    survival: false,
  };
  await buffer.append(record);
  process.stdout.write(`appended ${n}\n`);
}
