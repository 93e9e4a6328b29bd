/**
 * A flow many phones share (the hub's call path toward its built-in PBX, src/hub-pbx.ts): the
 * B2BUA never rings the caller's own phone, and tells it there by its extension, since every
 * phone's binding names that one flow. Without `sharedFlow` a flow is one phone (the agent's case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortPool } from '../../../src/media/index.js';
import { bindUdp } from '../../../src/net/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { SipStack, SipTransportLayer, getHeader, type TransactionSource } from '../../../src/sip/index.js';
import { B2bua, UdpMediaAnchor, type PhoneContact, type PhoneLocator } from '../../../src/b2bua/index.js';
import type { CdrRecord } from '../../../src/routing/index.js';
import { MemoryStatuses, NOW, ext, model, until } from './rig.js';
import { TestPhone } from './phone.js';

/** The proxy in front of the phones: one TestPhone whose socket every binding names. */
async function sharedRig(shared: boolean): Promise<{ proxy: TestPhone; port: number; cdrs: CdrRecord[]; close(): Promise<void> }> {
  const clock = new ManualClock(0, NOW);
  const proxy = await TestPhone.open('100', clock);
  const contact = (extension: string): PhoneContact => ({
    extension, uri: `sip:${extension}@127.0.0.1:${proxy.port}`, target: { transport: 'UDP', host: '127.0.0.1', port: proxy.port }, expiresAt: NOW + 3600_000,
  });
  const locator: PhoneLocator = { contactsOf: (e) => (['100', '101'].includes(e) ? [contact(e)] : []), extensionAt: () => '100', registered: () => ['100', '101'] };
  const udp = await bindUdp({ address: '127.0.0.1', port: 0 });
  const stack = new SipStack({ clock, transport: new SipTransportLayer({ clock, udp }) });
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const media = new UdpMediaAnchor({ clock, pool: new PortPool({ min: base, max: base + 99 }), bind: (port) => bindUdp({ address: '127.0.0.1', port }), address: '127.0.0.1' });
  const cdrs: CdrRecord[] = [];
  const routing = model({
    extensions: [ext('100'), ext('101')],
    ringGroups: [{ number: '600', name: 'All', strategy: 'ring-all', members: ['100', '101'], ringSeconds: 20, noAnswer: { kind: 'end-call' } }],
  });
  const b2bua = new B2bua({
    stack, clock, locator, routing: () => routing, statuses: new MemoryStatuses(), agent: 'hub', pbxReachable: () => false, media, onCdr: (c) => cdrs.push(c),
    ...(shared ? { sharedFlow: (s: TransactionSource) => s.port === proxy.port } : {}),
  });
  stack.onRequest((incoming) => {
    if (incoming.request.method === 'INVITE' && !/;tag=/.test(getHeader(incoming.request, 'To') ?? '')) b2bua.invite(incoming, { kind: 'extension', number: '100' });
    else b2bua.inDialog(incoming);
  });
  stack.start();
  return {
    proxy, port: Number(stack.hostPort('UDP').split(':')[1]), cdrs,
    close: async () => {
      await b2bua.close();
      await stack.close();
      await proxy.close();
    },
  };
}

/** The Request-URIs of the new INVITEs the proxy got from the B2BUA. */
function rung(proxy: TestPhone): string[] {
  return proxy.requests('INVITE').filter((r) => !/;tag=/.test(getHeader(r, 'To') ?? '')).map((r) => r.uri);
}

test('shared flow: 100 calls 101 behind the same flow; 101 rings and answers', async (t) => {
  const r = await sharedRig(true);
  t.after(() => r.close());
  r.proxy.mode = 'answer';
  const response = await r.proxy.call('101', r.port);
  assert.equal(response.status, 200);
  assert.deepEqual(rung(r.proxy), [`sip:101@127.0.0.1:${r.proxy.port}`]);
});

test('shared flow: 100 calls a ring group of 100 and 101; only 101 rings (the caller\'s own extension does not)', async (t) => {
  const r = await sharedRig(true);
  t.after(() => r.close());
  r.proxy.mode = 'answer';
  assert.equal((await r.proxy.call('600', r.port)).status, 200);
  assert.deepEqual(rung(r.proxy), [`sip:101@127.0.0.1:${r.proxy.port}`]);
});

test('one flow per phone (no sharedFlow): the flow is the caller\'s phone, so nobody rings (480)', async (t) => {
  const r = await sharedRig(false);
  t.after(() => r.close());
  r.proxy.mode = 'answer';
  const response = await r.proxy.call('101', r.port);
  assert.equal(response.status, 480);
  assert.deepEqual(rung(r.proxy), []);
  await until(() => r.cdrs.length === 1, 'CDR');
});
