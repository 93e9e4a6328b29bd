import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnixDatagramError, bindUnixDatagram, sendUnixDatagram } from '../../../src/net/index.js';

test('a datagram sent to a bound socket arrives whole; sending to nothing is a typed error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-unix-dgram-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'notify');
  const received: string[] = [];
  const arrived = new Promise<void>((resolve) => {
    const receiver = bindUnixDatagram(path, (data) => {
      received.push(data.toString('utf8'));
      if (received.length === 2) {
        receiver.close();
        receiver.close();
        resolve();
      }
    });
  });
  sendUnixDatagram(path, Buffer.from('READY=1\nSTATUS=up\n'));
  sendUnixDatagram(path, Buffer.from('WATCHDOG=1\n'));
  await arrived;
  assert.deepEqual(received, ['READY=1\nSTATUS=up\n', 'WATCHDOG=1\n']);

  // The receiver is closed but its file stays: nothing listens, the kernel refuses.
  assert.throws(() => sendUnixDatagram(path, Buffer.from('x')), (e: unknown) => e instanceof UnixDatagramError && e.code === 'SBC_ERR_UNIX_DATAGRAM' && e.errno === 'ECONNREFUSED');
  assert.throws(() => sendUnixDatagram(join(dir, 'absent'), Buffer.from('x')), (e: unknown) => e instanceof UnixDatagramError && e.errno === 'ENOENT');
  assert.throws(() => bindUnixDatagram(path, () => undefined), (e: unknown) => e instanceof UnixDatagramError && e.errno === 'EADDRINUSE');
});

test('abstract socket names are refused before any socket is opened', () => {
  assert.throws(() => sendUnixDatagram('\0sbc-test', Buffer.from('x')), (e: unknown) => e instanceof UnixDatagramError && e.message.startsWith('@sbc-test:'));
  assert.throws(() => sendUnixDatagram('', Buffer.from('x')), UnixDatagramError);
});
