import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestServer } from '../../../src/sip/auth/index.js';
import { getHeader, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { RegisterClient, RegisterError } from '../../../src/sip/register-client.js';
import { buildResponse } from '../../../src/sip/response.js';
import { FakeEndpoint } from './fake-endpoint.js';

const AOR = 'sip:1001@pbx.test';

function setup(password = 'secret', expires = 120): { endpoint: FakeEndpoint; client: RegisterClient; server: DigestServer } {
  const endpoint = new FakeEndpoint();
  const server = new DigestServer({
    realm: 'pbx.test', secret: Buffer.alloc(32, 7), clock: endpoint.clock,
    users: { lookup: (user) => (user === '1001' ? { password: 'secret' } : undefined) },
  });
  const client = new RegisterClient({
    endpoint, target: { transport: 'TCP', host: '127.0.0.1', port: 5060 }, registrarUri: 'sip:pbx.test', aor: AOR,
    username: '1001', password, expires,
  });
  return { endpoint, client, server };
}

/** A registrar: challenge without credentials, 200 with the Contact and its lifetime when they verify. */
function registrar(server: DigestServer, granted?: number): (request: SipRequest) => Promise<SipResponse> {
  return async (request) => {
    if (getHeader(request, 'Authorization') === undefined) return buildResponse(request, 401, undefined, server.challenge());
    const verdict = await server.verify(request);
    if (!verdict.ok) return buildResponse(request, 401, undefined, server.challenge({ stale: verdict.stale }));
    const expires = granted ?? Number(getHeader(request, 'Expires'));
    return buildResponse(request, 200, undefined, [{ name: 'Contact', value: `${getHeader(request, 'Contact') ?? ''};expires=${expires}` }]);
  };
}

test('REGISTER: 401, then credentials that verify; one Call-ID, CSeq counting up, a new branch each time (§10.2)', async () => {
  const { endpoint, client, server } = setup();
  endpoint.answer = registrar(server, 90);
  const registration = await client.register();
  assert.equal(registration.expires, 90);
  const sent = endpoint.requests.map((r) => r.request);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent.map((r) => getHeader(r, 'CSeq')), ['1 REGISTER', '2 REGISTER']);
  assert.equal(new Set(sent.map((r) => getHeader(r, 'Call-ID'))).size, 1);
  assert.equal(new Set(sent.map((r) => getHeader(r, 'Via'))).size, 2);
  assert.equal(sent[0]?.uri, 'sip:pbx.test');
  assert.equal(getHeader(sent[0] ?? sent[1] ?? ({} as SipRequest), 'To'), `<${AOR}>`);
  assert.equal(getHeader(sent[1] ?? ({} as SipRequest), 'Contact'), '<sip:1001@127.0.0.1:5062;transport=tcp>');
  client.close();
});

test('the binding is refreshed before it expires, and unregister sends Expires: 0 and stops refreshing', async () => {
  const { endpoint, client, server } = setup();
  endpoint.answer = registrar(server, 100);
  const events: string[] = [];
  client.onEvent((e) => events.push(e.type));
  await client.register();
  endpoint.clock.advance(79_999);
  assert.equal(endpoint.requests.length, 2);
  endpoint.clock.advance(1);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.ok(endpoint.requests.length > 2, 'refreshed at 80 % of the lifetime');
  assert.deepEqual(events, ['registered']);
  await client.unregister();
  const last = endpoint.requests[endpoint.requests.length - 1]?.request;
  assert.equal(getHeader(last ?? ({} as SipRequest), 'Expires'), '0');
  assert.equal(endpoint.clock.pending, 0);
  client.close();
});

test('failures: wrong password → AuthFailure; 423 → retried with Min-Expires; other statuses → RegisterError', async () => {
  const wrong = setup('not-secret');
  wrong.endpoint.answer = registrar(wrong.server);
  await assert.rejects(wrong.client.register(), { name: 'AuthFailure', code: 'SBC_ERR_SIP_AUTH', reason: 'rejected' });
  assert.equal(wrong.endpoint.requests.length, 2, 'credentials are sent once, not again and again');

  const brief = setup('secret', 10);
  brief.endpoint.answer = (request) => {
    if (getHeader(request, 'Expires') === '10') return buildResponse(request, 423, undefined, [{ name: 'Min-Expires', value: '60' }]);
    return buildResponse(request, 200, undefined, [{ name: 'Contact', value: `${getHeader(request, 'Contact') ?? ''};expires=60` }]);
  };
  assert.equal((await brief.client.register()).expires, 60);
  brief.client.close();

  const table: Array<[number, string]> = [[403, 'Forbidden'], [404, 'Not Found'], [500, 'Server Internal Error'], [503, 'Service Unavailable']];
  for (const [status, reason] of table) {
    const refused = setup();
    refused.endpoint.answer = (request) => buildResponse(request, status, reason);
    await assert.rejects(refused.client.register(), (error: unknown) => error instanceof RegisterError && error.status === status);
  }
});
