import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindUdp } from '../../../src/net/udp.js';
import type { SocketAddress } from '../../../src/net/types.js';

// The sockets resolve IP literals at once (no dns.lookup tick per packet) and names through dns.lookup.
test('a UDP socket sends to an IP literal and to a name, and reports the source of what it receives', async () => {
  const receiver = await bindUdp({ address: '127.0.0.1', port: 0 });
  const sender = await bindUdp({ address: '127.0.0.1', port: 0 });
  try {
    const got: Array<{ text: string; from: SocketAddress }> = [];
    const both = new Promise<void>((resolve) => {
      receiver.onMessage((data, from) => {
        got.push({ text: data.toString(), from });
        if (got.length === 2) resolve();
      });
    });
    const errors: Error[] = [];
    sender.onError((error) => errors.push(error));
    sender.send(Buffer.from('literal'), receiver.local.port, '127.0.0.1');
    sender.send(Buffer.from('name'), receiver.local.port, 'localhost');
    await both;
    assert.deepEqual(got.map((g) => g.text).sort(), ['literal', 'name']);
    for (const g of got) {
      assert.equal(g.from.address, '127.0.0.1');
      assert.equal(g.from.port, sender.local.port);
      assert.equal(g.from.family, 'IPv4');
    }
    assert.deepEqual(errors, []);
  } finally {
    await sender.close();
    await receiver.close();
  }
});
