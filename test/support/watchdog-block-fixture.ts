/**
 * A process that uses SystemdNotifier as a service does (real clock, real unix datagrams) and
 * then blocks its own event loop with a busy wait, to show that the watchdog pings come from
 * the loop: `node watchdog-block-fixture.js BEFORE_MS BLOCK_MS AFTER_MS` with NOTIFY_SOCKET and
 * WATCHDOG_USEC set. It marks the block with STATUS=blocking and STATUS=unblocked after N ms.
 */
import { realClock, silentLogger } from '../../src/core/index.js';
import { sendUnixDatagram } from '../../src/net/index.js';
import { SystemdNotifier } from '../../src/platform/index.js';

const [beforeMs, blockMs, afterMs] = process.argv.slice(2).map(Number);
if (beforeMs === undefined || blockMs === undefined || afterMs === undefined) throw new Error('usage: watchdog-block-fixture BEFORE_MS BLOCK_MS AFTER_MS');

const notifier = new SystemdNotifier({ env: process.env, pid: process.pid, clock: realClock, logger: silentLogger, send: sendUnixDatagram });
notifier.start();
notifier.ready('fixture up');
// realClock's timers are unref'd; these plain ones keep the process alive for the run.
setTimeout(() => {
  notifier.status('blocking');
  const started = performance.now();
  while (performance.now() < started + blockMs) {
    // the busy wait: no timer can fire until it ends
  }
  notifier.status(`unblocked after ${Math.round(performance.now() - started)} ms`);
  setTimeout(() => {
    notifier.stopping();
    notifier.close();
  }, afterMs);
}, beforeMs);
