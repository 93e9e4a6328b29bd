/**
 * The long-running commands (`run`, `hub`) give back the heap a load left behind once they are
 * quiet again (src/platform/quiet-collector.ts says why and what was measured).
 */
import type { Clock, Logger } from '../core/index.js';
import { QuietCollector } from '../platform/index.js';

const MiB = 1024 * 1024;

export function startQuietCollector(clock: Clock, logger: Logger): QuietCollector {
  const collector = new QuietCollector({
    clock,
    onCollected: (before, after) => logger.debug({ heapUsedMiB: Math.round(before.used / MiB), heapUsedAfterMiB: Math.round(after.used / MiB), heapTotalMiB: Math.round(before.total / MiB) }, 'quiet after a load: heap collected'),
  });
  collector.start();
  return collector;
}
