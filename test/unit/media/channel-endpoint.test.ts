import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { MediaSession, channelEndpoint, createEndpointPair } from '../../../src/media/index.js';
import { TunnelChannel } from '../../../src/tunnel/index.js';

test('a tunnel datagram channel is a MediaEndpoint through channelEndpoint()', () => {
  const ready: Buffer[] = [];
  let closedByHost = 0;
  const host = {
    channelReady: (c: TunnelChannel) => {
      for (let d = c.take(); d !== undefined; d = c.take()) ready.push(d);
    },
    channelClosed: () => {
      closedByHost++;
    },
  };
  const channel = new TunnelChannel(5, 'call-1/audio', 16, host, () => {});
  const clock = new ManualClock(0);
  const [phoneSide, phone] = createEndpointPair();
  const fromPhone: Buffer[] = [];
  phone.onPacket((p) => fromPhone.push(p));
  const session = new MediaSession({ clock, a: phoneSide, b: channelEndpoint(channel), oneWayAudio: false });
  session.start();
  const packet = Buffer.from('80080001000000a00000000a', 'hex');
  phone.send(packet);
  assert.deepEqual(ready, [packet], 'phone → channel');
  channel.onDatagram(packet);
  assert.deepEqual(fromPhone, [packet], 'channel → phone');
  session.close();
  assert.equal(closedByHost, 1);
  assert.equal(channel.closed, true);
});
