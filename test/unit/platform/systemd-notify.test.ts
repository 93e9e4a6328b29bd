import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { SystemdNotifier, parseSystemdEnvironment, type NotifySend } from '../../../src/platform/index.js';

const PID = 4242;

interface Sent {
  readonly socket: string;
  readonly text: string;
}

function notifier(env: NodeJS.ProcessEnv, send?: NotifySend): { notifier: SystemdNotifier; sent: Sent[]; clock: ManualClock } {
  const sent: Sent[] = [];
  const clock = new ManualClock();
  const recording: NotifySend = (socket, datagram) => {
    sent.push({ socket, text: datagram.toString('utf8') });
  };
  return { notifier: new SystemdNotifier({ env, pid: PID, clock, logger: silentLogger, send: send ?? recording }), sent, clock };
}

test('NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read as sd_notify(3) reads them', () => {
  const table: Array<[string, NodeJS.ProcessEnv, string | undefined, number | undefined, number]> = [
    ['nothing set', {}, undefined, undefined, 0],
    ['empty NOTIFY_SOCKET', { NOTIFY_SOCKET: '' }, undefined, undefined, 0],
    ['a path', { NOTIFY_SOCKET: '/run/systemd/notify' }, '/run/systemd/notify', undefined, 0],
    ['an abstract name', { NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' }, '\0/org/freedesktop/systemd1/notify', undefined, 0],
    ['a lone @', { NOTIFY_SOCKET: '@' }, undefined, undefined, 1],
    ['a relative path', { NOTIFY_SOCKET: 'run/notify' }, undefined, undefined, 1],
    ['vsock (not supported)', { NOTIFY_SOCKET: 'vsock:2:1234' }, undefined, undefined, 1],
    ['a path too long for sun_path', { NOTIFY_SOCKET: `/${'x'.repeat(107)}` }, undefined, undefined, 1],
    ['watchdog: half the period', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000' }, '/n', 15_000, 0],
    ['watchdog for this pid', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(PID) }, '/n', 500, 0],
    ['watchdog for another pid', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, '/n', undefined, 1],
    ['WATCHDOG_PID not a number', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '1000000', WATCHDOG_PID: 'me' }, '/n', undefined, 1],
    ['WATCHDOG_USEC not a number', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30s' }, '/n', undefined, 1],
    ['WATCHDOG_USEC zero', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '0' }, '/n', undefined, 1],
    ['WATCHDOG_USEC negative', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '-5' }, '/n', undefined, 1],
    ['WATCHDOG_USEC of 1 µs still pings every ms', { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '1' }, '/n', 1, 0],
    ['a watchdog without a socket has nowhere to ping', { WATCHDOG_USEC: '1000000' }, undefined, undefined, 0],
  ];
  for (const [name, env, socket, interval, ignored] of table) {
    const parsed = parseSystemdEnvironment(env, PID);
    assert.equal(parsed.socket, socket, name);
    assert.equal(parsed.watchdogIntervalMs, interval, name);
    assert.equal(parsed.ignored.length, ignored, `${name}: ${parsed.ignored.join('; ')}`);
  }
});

test('without NOTIFY_SOCKET every method does nothing', () => {
  const { notifier: n, sent, clock } = notifier({ WATCHDOG_USEC: '1000000' });
  assert.equal(n.enabled, false);
  n.start();
  n.ready('up');
  n.status('x');
  n.reloading();
  n.stopping();
  clock.advance(10_000);
  n.close();
  assert.deepEqual(sent, []);
  assert.equal(clock.pending, 0);
});

test('ready, status, reloading and stopping send their assignments, one line of status each', () => {
  const { notifier: n, sent } = notifier({ NOTIFY_SOCKET: '@sbc' });
  assert.equal(n.enabled, true);
  n.ready('2 tunnels up,\nlistening');
  n.status('all\r\nfine');
  n.reloading();
  n.ready();
  n.stopping('draining 3 calls');
  assert.deepEqual(sent, [
    { socket: '\0sbc', text: 'READY=1\nSTATUS=2 tunnels up, listening\n' },
    { socket: '\0sbc', text: 'STATUS=all fine\n' },
    { socket: '\0sbc', text: 'RELOADING=1\n' },
    { socket: '\0sbc', text: 'READY=1\n' },
    { socket: '\0sbc', text: 'STOPPING=1\nSTATUS=draining 3 calls\n' },
  ]);
});

test('WATCHDOG=1 every WATCHDOG_USEC / 2 from start() until close()', () => {
  const { notifier: n, sent, clock } = notifier({ NOTIFY_SOCKET: '/run/n', WATCHDOG_USEC: '2000000' });
  assert.equal(n.watchdogIntervalMs, 1000);
  clock.advance(5000);
  assert.equal(sent.length, 0, 'no pings before start()');
  n.start();
  n.start();
  clock.advance(999);
  assert.equal(sent.length, 0);
  clock.advance(1);
  assert.deepEqual(sent, [{ socket: '/run/n', text: 'WATCHDOG=1\n' }]);
  clock.advance(4000);
  assert.equal(sent.length, 5, 'one interval, not two: start() twice must not double the pings');
  n.close();
  n.close();
  clock.advance(10_000);
  n.ready();
  assert.equal(sent.length, 5);
  assert.equal(clock.pending, 0);
});

test('WATCHDOG_PID of another process: no pings, but READY=1 still goes out', () => {
  const { notifier: n, sent, clock } = notifier({ NOTIFY_SOCKET: '/run/n', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '1' });
  n.start();
  clock.advance(10_000);
  n.ready();
  assert.deepEqual(sent.map((s) => s.text), ['READY=1\n']);
  n.close();
});

test('a send that fails never throws, and the watchdog keeps trying', () => {
  let attempts = 0;
  const failing: NotifySend = () => {
    attempts += 1;
    throw Object.assign(new Error('send -111'), { code: -111 });
  };
  const { notifier: n, clock } = notifier({ NOTIFY_SOCKET: '/nowhere', WATCHDOG_USEC: '200000' }, failing);
  n.start();
  assert.doesNotThrow(() => n.ready('up'));
  assert.doesNotThrow(() => clock.advance(500));
  n.stopping();
  assert.equal(attempts, 1 + 5 + 1);
  n.close();
});
