/**
 * systemd readiness and watchdog as systemd sees them: the test binds its own notification
 * socket (a unix datagram socket, as PID 1 does), points NOTIFY_SOCKET at it and watches real
 * processes. Loopback ports only; no timing asserted beyond sane bands of counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';
import { NotifySocket, type Notification } from '../support/notify-socket.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../support/watchdog-block-fixture.js', import.meta.url));

/** Resolves true when a TCP connection to 127.0.0.1:port is accepted, false when refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

const has = (assignment: string) => (n: Notification) => n.lines.includes(assignment);

test('the hub sends READY=1 once its ports accept connections, pings the watchdog, and STOPPING=1 on SIGTERM', { timeout: 90_000 }, async (t) => {
  const notify = new NotifySocket();
  const dir = mkdtempSync(join(tmpdir(), 'sbc-notify-hub-'));
  const [enroll, tunnel, wss, admin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'hub.yaml'), `log:
  level: warn
hub:
  publicName: 127.0.0.1
  enrollment: { listen: 127.0.0.1, port: ${enroll} }
  tunnel: { listen: 127.0.0.1, port: ${tunnel} }
  wss: { listen: 127.0.0.1, port: ${wss} }
  admin: { listen: 127.0.0.1, port: ${admin} }
`);
  let stderr = '';
  const child = spawn(process.execPath, [MAIN, 'hub', '--state-dir', join(dir, 'state'), '--config', join(dir, 'hub.yaml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // WATCHDOG_USEC of 1 s: a ping every 500 ms.
    env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '1000000' },
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = exitOf(child);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    notify.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Probe the ports the moment READY=1 arrives, before anything else runs in this process.
  let probes: Promise<boolean[]> | undefined;
  const ready = await Promise.race([
    notify.waitFor((n) => {
      if (!has('READY=1')(n)) return false;
      probes ??= Promise.all([accepts(enroll), accepts(tunnel), accepts(wss), accepts(admin)]);
      return true;
    }, 60_000),
    exited.then((code) => {
      throw new Error(`hub exited (${code}) before READY=1: ${stderr}`);
    }),
  ]);
  assert.deepEqual(await probes, [true, true, true, true], 'enrollment, tunnel, wss and admin accept TCP connections when READY=1 arrives');
  const status = ready.lines.find((l) => l.startsWith('STATUS='));
  assert.equal(status, `STATUS=0 tunnels up, listening enrollment 127.0.0.1:${enroll}, tunnel 127.0.0.1:${tunnel}, wss 127.0.0.1:${wss}, admin 127.0.0.1:${admin}`);

  // Watch for 5.5 s: WATCHDOG=1 about every 500 ms, and a STATUS= refresh (every 5 s).
  await new Promise((resolve) => setTimeout(resolve, 5500));
  const pings = notify.with('WATCHDOG=1').filter((n) => n.at > ready.at && n.at <= ready.at + 5500).length;
  assert.ok(pings >= 6 && pings <= 16, `WATCHDOG=1 ${pings} times in 5.5 s with WATCHDOG_USEC=1s (expected about 11)`);
  const refreshes = notify.received.filter((n) => n.at > ready.at && !n.lines.includes('READY=1') && n.lines.some((l) => l.startsWith('STATUS=0 tunnels up')));
  assert.ok(refreshes.length >= 1, 'STATUS= refreshed after READY=1');

  const before = notify.received.length;
  child.kill('SIGTERM');
  await notify.waitFor(has('STOPPING=1'), 15_000, before);
  assert.equal(await exited, 0, stderr);
  assert.equal(notify.with('READY=1').length, 1, 'READY=1 once');
  const stoppingAt = notify.with('STOPPING=1')[0]?.at ?? 0;
  assert.ok(notify.received.every((n) => !n.lines.includes('READY=1') || n.at < stoppingAt));
});

test('watchdog pings stop while the event loop is blocked and resume after', { timeout: 30_000 }, async (t) => {
  const notify = new NotifySocket();
  t.after(() => notify.close());
  // WATCHDOG_USEC 200 ms: a ping every 100 ms. 600 ms free, 1000 ms blocked (ten periods), 600 ms free.
  const child = spawn(process.execPath, [FIXTURE, '600', '1000', '600'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '200000' },
  });
  assert.equal(await exitOf(child), 0);
  await notify.waitFor(has('STOPPING=1'), 5000);

  const index = (assignment: string): number => notify.received.findIndex(has(assignment));
  const unblocked = notify.received.findIndex((n) => n.lines.some((l) => l.startsWith('STATUS=unblocked after ')));
  const [blocking, stopping] = [index('STATUS=blocking'), index('STOPPING=1')];
  assert.ok(blocking > 0 && unblocked > blocking && stopping > unblocked, JSON.stringify(notify.received.map((n) => n.lines)));
  const pingsIn = (from: number, to: number): number => notify.received.slice(from, to).filter(has('WATCHDOG=1')).length;
  assert.ok(pingsIn(0, blocking) >= 3, `pings before the block: ${pingsIn(0, blocking)}`);
  assert.equal(pingsIn(blocking, unblocked), 0, 'no WATCHDOG=1 while the loop was blocked');
  assert.ok(pingsIn(unblocked, stopping) >= 3, `pings after the block: ${pingsIn(unblocked, stopping)}`);
  // The fixture measured its own block: ten ping periods passed without a ping.
  const blockedFor = Number(/after (\d+) ms/.exec(notify.received[unblocked]?.lines.join('\n') ?? '')?.[1]);
  assert.ok(blockedFor >= 1000, `the block lasted ${blockedFor} ms`);
});
