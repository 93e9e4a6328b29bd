import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { UdpRelayLeg } from '../../../src/media/index.js';
import type { DatagramSocket, SocketAddress } from '../../../src/net/index.js';
import { CHANNEL_ATTRIBUTE, CallMedia, type ChannelSource } from '../../../src/sbc/index.js';
import { parseSdp, serializeSdp } from '../../../src/sdp/index.js';
import { TunnelChannel } from '../../../src/tunnel/index.js';

class FakeSocket implements DatagramSocket {
  readonly sent: Array<{ data: Buffer; port: number; address: string }> = [];
  #handler: (data: Buffer, from: SocketAddress) => void = () => {};
  constructor(readonly local: SocketAddress) {}
  send(data: Buffer | readonly Buffer[], port: number, address: string): void {
    this.sent.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data), port, address });
  }
  onMessage(handler: (data: Buffer, from: SocketAddress) => void): void {
    this.#handler = handler;
  }
  onError(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
  deliver(data: Buffer, from: SocketAddress): void {
    this.#handler(data, from);
  }
}

function rig(localBridging: boolean) {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  let port = 40000;
  const media = new CallMedia({
    clock, edgeAddress: '10.0.0.1', localBridging, oneWayAfterMs: 5000,
    openLeg: () => {
      const rtp = new FakeSocket({ address: '10.0.0.1', port: port, family: 'IPv4' } as SocketAddress);
      const rtcp = new FakeSocket({ address: '10.0.0.1', port: port + 1, family: 'IPv4' } as SocketAddress);
      port += 2;
      sockets.push(rtp, rtcp);
      return Promise.resolve(new UdpRelayLeg({ rtp, rtcp, clock }));
    },
  });
  const opened: TunnelChannel[] = [];
  const host = { channelReady: () => {}, channelClosed: () => {} };
  const channels: ChannelSource = {
    open: (label) => {
      const c = new TunnelChannel(opened.length * 2 + 1, label, 16, host, () => {});
      opened.push(c);
      return c;
    },
    get: (id) => opened.find((c) => c.id === id),
  };
  return { clock, media, sockets, opened, channels };
}

const OFFER = parseSdp(Buffer.from([
  'v=0', 'o=phone 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0',
  'm=audio 5004 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', 'a=sendrecv', '',
].join('\r\n')));
const RTP = Buffer.from('8000000100000000000000aa', 'hex');

test('an edge offer is anchored for the tunnel: channel named, LAN address hidden, SDES key and telephone-event kept', async () => {
  const { media, channels, opened } = rig(false);
  const out = await media.fromEdge('call-1', 'tagA', OFFER, channels, '10.0.0.5');
  const text = serializeSdp(out);
  assert.equal(opened.length, 1);
  assert.match(text, new RegExp(`a=${CHANNEL_ATTRIBUTE}:${opened[0]?.id}`));
  assert.doesNotMatch(text, /10\.0\.0\.5/);
  assert.match(text, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz/);
  assert.match(text, /a=rtpmap:101 telephone-event\/8000/);
  media.close();
});

test('a description from the tunnel binds the named channel and is anchored on the relay leg', async () => {
  const { media, channels, sockets } = rig(false);
  const fromHub = await rig(false).media.fromEdge('c', 't', OFFER, channels);
  const toPhone = await media.toEdge('call-1', 'tagB', fromHub, channels);
  assert.equal(toPhone.media[0]?.port, sockets[0]?.local.port);
  assert.ok(!toPhone.media[0]?.attributes.some((a) => a.name === CHANNEL_ATTRIBUTE), 'the channel attribute stays on the tunnel hop');
  media.close();
});

test('two legs of one Call-ID on the agent are joined locally: RTP goes phone to phone, never to a channel', async () => {
  const { media, channels, sockets, opened } = rig(true);
  await media.fromEdge('call-1', 'tagA', OFFER, channels, '10.0.0.5');
  const offerB = parseSdp(Buffer.from(serializeSdp({ ...OFFER, connection: { netType: 'IN', addrType: 'IP4', address: '10.0.0.6' } })));
  await media.toEdge('call-1', 'tagB', await rig(false).media.fromEdge('x', 'y', offerB, channels), channels);
  await media.fromEdge('call-1', 'tagB', offerB, channels, '10.0.0.6');
  const [legA, , legB] = sockets;
  assert.ok(legA !== undefined && legB !== undefined);
  legA.deliver(RTP, { address: '10.0.0.5', port: 5004, family: 'IPv4' } as SocketAddress);
  assert.deepEqual(legB.sent.map((s) => [s.address, s.port]), [['10.0.0.6', 5004]], 'A → B on the LAN');
  assert.equal(opened.reduce((n, c) => n + c.queued, 0), 0, 'nothing queued into the tunnel');
  const legs = await media.list();
  assert.ok(legs.filter((l) => l.callId === 'call-1').every((l) => l.streams.every((s) => s.local)));
  media.close();
});

test('release ends a leg: its streams are gone from the list', async () => {
  const { media, channels } = rig(false);
  await media.fromEdge('call-1', 'tagA', OFFER, channels);
  media.release('call-1', 'tagA');
  assert.deepEqual(await media.list(), []);
});
