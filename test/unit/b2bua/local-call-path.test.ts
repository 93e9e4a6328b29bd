import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalCallPath, NO_CALL_HANDLER, type CallHandler, type CallOrigin } from '../../../src/b2bua/index.js';
import { parseMessage, type RequestHandler, type ServerRequest, type SipRequest, type TransactionSource } from '../../../src/sip/index.js';
import { PHONE_A, PHONE_B, answered, getHeader, incoming, invite, last, registerAs, rig, type Incoming, type Rig } from './fixtures.js';

interface PathRig extends Rig {
  readonly deliver: (incoming: Incoming) => Promise<void>;
  readonly invites: { origin: CallOrigin; request: SipRequest }[];
  readonly inDialog: ServerRequest[];
  readonly path: LocalCallPath;
}

function pathRig(dialogs = false): PathRig {
  const r = rig();
  let handler: RequestHandler = () => {};
  const invites: { origin: CallOrigin; request: SipRequest }[] = [];
  const inDialog: ServerRequest[] = [];
  const calls: CallHandler = {
    invite: (inc, origin) => invites.push({ origin, request: inc.request }),
    inDialog: (inc) => {
      inDialog.push(inc);
      return dialogs;
    },
  };
  const path = new LocalCallPath({ stack: { onRequest: (h) => { handler = h; } }, registrar: r.registrar, auth: r.auth, calls, routing: () => r.model });
  // The path answers asynchronously (digest lookups): wait for the request's first response or hand-off.
  const deliver = async (inc: Incoming): Promise<void> => {
    handler(inc);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return Object.assign(r, { deliver, invites, inDialog, path });
}

function request(method: string, extra: readonly string[] = []): SipRequest {
  const text = [
    `${method} sip:102@branch.test SIP/2.0`, 'Via: SIP/2.0/UDP 192.168.1.21;branch=z9hG4bK-m1', 'Max-Forwards: 70',
    'From: <sip:101@branch.test>;tag=1', 'To: <sip:102@branch.test>', 'Call-ID: m1', `CSeq: 1 ${method}`, ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

test('an INVITE from the flow of a live binding of the From user is that extension, without a challenge', async () => {
  const r = pathRig();
  await registerAs(r, { user: '101', contact: '<sip:101@192.168.1.21:5060>', expires: 600 }, PHONE_A);
  const call = incoming(invite('101'), PHONE_A);
  await r.deliver(call);
  assert.deepEqual(r.invites.map((i) => i.origin), [{ kind: 'extension', number: '101' }]);
  assert.deepEqual(call.responses, []);
  assert.equal(r.path.counters.fromBinding, 1);
});

test('an INVITE from elsewhere is challenged with 407; the right credentials establish the extension', async () => {
  const r = pathRig();
  const first = incoming(invite('102'), PHONE_B);
  await r.deliver(first);
  const challenge = last(first.responses);
  assert.equal(challenge.status, 407);
  assert.match(getHeader(challenge, 'Proxy-Authenticate') ?? '', /realm="branch\.test"/);
  const second = incoming(answered(invite('102'), challenge, '102', 'pw102'), PHONE_B);
  await r.deliver(second);
  assert.deepEqual(r.invites.map((i) => i.origin), [{ kind: 'extension', number: '102' }]);
});

const REFUSED: { name: string; from: string; password: string; status: number; reason: string }[] = [
  { name: 'wrong password', from: '102', password: 'bad', status: 407, reason: 'Proxy Authentication Required' },
  { name: 'disabled extension', from: '103', password: 'pw103', status: 403, reason: 'Extension Disabled' },
  { name: 'unknown caller', from: '555', password: 'pw555', status: 403, reason: 'Forbidden' },
];

for (const row of REFUSED) {
  test(`an INVITE with credentials refused (${row.name}) → ${row.status}, no call, counted`, async () => {
    const r = pathRig();
    const first = incoming(invite(row.from), PHONE_B);
    await r.deliver(first);
    const second = incoming(answered(invite(row.from), last(first.responses), row.from, row.password), PHONE_B);
    await r.deliver(second);
    assert.equal(last(second.responses).status, row.status);
    assert.equal(last(second.responses).reason, row.reason);
    assert.deepEqual(r.invites, []);
    assert.equal(r.registrar.failures.of(PHONE_B.address), 1);
  });
}

const TRUNKS: { name: string; source: TransactionSource; trunk: string }[] = [
  { name: 'the trunk on that address and port', source: { transport: 'UDP', address: '10.9.0.2', port: 5080 }, trunk: 'gw' },
  { name: 'the first trunk on that address when no port matches', source: { transport: 'UDP', address: '10.9.0.2', port: 6000 }, trunk: 'itsp' },
];

for (const row of TRUNKS) {
  test(`an INVITE from a trunk host is a trunk call: ${row.name}`, async () => {
    const r = pathRig();
    await r.deliver(incoming(invite('0612345678'), row.source));
    assert.deepEqual(r.invites.map((i) => i.origin), [{ kind: 'trunk', name: row.trunk }]);
  });
}

// Each row: a request, and the status the local path answers with (no call handler takes it).
const ANSWERS: { name: string; request: SipRequest; status: number; reason: string; allow?: boolean }[] = [
  { name: 'OPTIONS to us', request: request('OPTIONS'), status: 200, reason: 'OK', allow: true },
  { name: 'BYE without a dialog', request: request('BYE'), status: 481, reason: 'Call/Transaction Does Not Exist' },
  { name: 'CANCEL of no call', request: request('CANCEL'), status: 481, reason: 'Call/Transaction Does Not Exist' },
  { name: 're-INVITE of no dialog', request: invite('101', { toTag: 'gone' }), status: 481, reason: 'Call/Transaction Does Not Exist' },
  { name: 'SUBSCRIBE', request: request('SUBSCRIBE', ['Event: presence']), status: 405, reason: 'Method Not Allowed', allow: true },
  { name: 'MESSAGE', request: request('MESSAGE'), status: 405, reason: 'Method Not Allowed', allow: true },
  { name: 'PUBLISH', request: request('PUBLISH', ['Event: presence']), status: 405, reason: 'Method Not Allowed', allow: true },
  { name: 'an unknown method', request: request('FROBNICATE'), status: 501, reason: 'Not Implemented', allow: true },
];

for (const row of ANSWERS) {
  test(`${row.name} → ${row.status} ${row.reason}`, async () => {
    const r = pathRig();
    const inc = incoming(row.request, PHONE_A);
    await r.deliver(inc);
    const response = last(inc.responses);
    assert.equal(response.status, row.status);
    assert.equal(response.reason, row.reason);
    if (row.allow === true) assert.match(getHeader(response, 'Allow') ?? '', /INVITE/);
  });
}

test('requests of a dialog, ACK and CANCEL go to the call handler; a stray ACK gets no answer', async () => {
  const r = pathRig(true);
  const bye = incoming(request('BYE', []), PHONE_A);
  const inDialogBye = incoming({ ...bye.request, headers: bye.request.headers.map((h) => (h.name === 'To' ? { name: 'To', value: `${h.value};tag=t1` } : h)) }, PHONE_A);
  await r.deliver(inDialogBye);
  await r.deliver(incoming(request('CANCEL'), PHONE_A));
  assert.equal(r.inDialog.length, 2);
  const s = pathRig(false);
  const ack = incoming(request('ACK'), PHONE_A);
  await s.deliver(ack);
  assert.equal(s.inDialog.length, 1);
  assert.deepEqual(ack.responses, []);
});

test('no routing model: an INVITE gets 503 with Retry-After and a reason that says why', async () => {
  const r = pathRig();
  r.model = undefined;
  const call = incoming(invite('101'), PHONE_A);
  await r.deliver(call);
  assert.equal(last(call.responses).status, 503);
  assert.equal(last(call.responses).reason, 'Routing Model Not Received Yet');
  assert.equal(getHeader(last(call.responses), 'Retry-After'), '30');
  assert.deepEqual(r.invites, []);
});

test('draining: new INVITEs get 503; registrations go on', async () => {
  const r = pathRig();
  r.path.drain();
  const call = incoming(invite('101'), PHONE_A);
  await r.deliver(call);
  assert.equal(last(call.responses).status, 503);
  assert.equal(last(call.responses).reason, 'Draining');
  assert.equal(r.path.counters.refusedDraining, 1);
});

test('without the B2BUA, an established call gets 503 Call Control Not Available', () => {
  const call = incoming(invite('101'), PHONE_A);
  NO_CALL_HANDLER.invite(call, { kind: 'extension', number: '101' });
  assert.equal(last(call.responses).status, 503);
  assert.equal(NO_CALL_HANDLER.inDialog(call), false);
});

test('with a BLF notifier: a new SUBSCRIBE goes to it, and a SUBSCRIBE in one of its dialogs is taken before the call handler', async () => {
  const r = rig();
  let handler: RequestHandler = () => {};
  const subscribed: ServerRequest[] = [];
  const refreshed: ServerRequest[] = [];
  const calls: CallHandler = { invite: () => assert.fail('no INVITE here'), inDialog: () => assert.fail('the notifier took it first') };
  new LocalCallPath({
    stack: { onRequest: (h) => { handler = h; } }, registrar: r.registrar, auth: r.auth, calls, routing: () => r.model,
    subscriptions: () => ({ subscribe: (inc) => subscribed.push(inc), inDialog: (inc) => refreshed.push(inc) > 0 }),
  });
  const fresh = incoming(request('SUBSCRIBE', ['Event: dialog']), PHONE_A);
  handler(fresh);
  const refresh = incoming({ ...fresh.request, headers: fresh.request.headers.map((h) => (h.name === 'To' ? { name: 'To', value: `${h.value};tag=n1` } : h)) }, PHONE_A);
  handler(refresh);
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(subscribed, [fresh]);
  assert.deepEqual(refreshed, [refresh]);
  assert.deepEqual([...fresh.responses, ...refresh.responses], [], 'answered by the notifier, not the path');
});
