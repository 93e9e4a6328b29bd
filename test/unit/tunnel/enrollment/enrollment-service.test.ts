import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  checkAgentCertificate,
  createAgentKeyAndCsr,
  fingerprintOfPem,
  generateAuthKey,
  hashAuthKey,
  type EnrollHttpResponse,
} from '../../../../src/tunnel/index.js';
import { CA_PAIR, FAST_SCRYPT, harness, post, type Harness } from './fixtures.js';

const DAY = 86_400_000;
const AGENT = createAgentKeyAndCsr('branch');

async function addSbc(h: Harness, name: string, ttlMs = DAY): Promise<{ id: string; key: string }> {
  const key = generateAuthKey();
  const record = await h.store.add(name, `id${name.replace(/\W/g, '')}`, await hashAuthKey(key, FAST_SCRYPT), ttlMs);
  return { id: record.id, key };
}

function errorCode(response: EnrollHttpResponse): string | undefined {
  const body = response.body as { error?: { code?: string } };
  return body.error?.code;
}

test('a right key gets the CSR signed by the hub CA (client auth, CN = SBC id) and the hub addresses', async () => {
  const h = await harness();
  const { id, key } = await addSbc(h, 'paris');
  const response = await h.service.handle(post(id, { version: 1, key, csr: AGENT.csrPem }));
  assert.equal(response.status, 200);
  const body = response.body as { certificate: string; caCertificate: string; sbc: { id: string; name: string }; hub: { tunnel: { host: string; port: number } } };
  assert.deepEqual(body.sbc, { id, name: 'paris' });
  assert.equal(body.caCertificate, CA_PAIR.certPem);
  assert.deepEqual(body.hub.tunnel, { host: 'hub.test:5001', port: 5090 });
  const cert = new X509Certificate(body.certificate);
  assert.ok(cert.verify(new X509Certificate(CA_PAIR.certPem).publicKey));
  assert.equal(cert.subject.split('\n')[0], `CN=${id}`);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);
  const record = h.store.byId(id);
  assert.equal(record?.state, 'enrolled');
  assert.equal(record?.certificate?.fingerprint, cert.fingerprint256);
  assert.equal(record?.certificate?.serial, cert.serialNumber.replace(/^(00)+/, ''));
  assert.deepEqual(checkAgentCertificate(h.store, { raw: cert.raw }), { ok: true, sbc: record });
  assert.deepEqual(checkAgentCertificate(h.store, { fingerprint256: cert.fingerprint256 }), { ok: true, sbc: record });
});

test('each refusal has its own code and status: wrong, used, expired, revoked, malformed', async () => {
  const h = await harness();
  const used = await addSbc(h, 'used');
  assert.equal((await h.service.handle(post(used.id, { version: 1, key: used.key, csr: AGENT.csrPem }))).status, 200);
  const expired = await addSbc(h, 'expired', 1000);
  const revoked = await addSbc(h, 'revoked');
  await h.store.revoke('revoked');
  const good = await addSbc(h, 'good');
  h.clock.advance(1000);
  const table: Array<[string, ReturnType<typeof post>, number, string]> = [
    ['wrong key', post(good.id, { version: 1, key: generateAuthKey(), csr: AGENT.csrPem }), 401, 'wrong_key'],
    ['unknown id', post('nosuchid', { version: 1, key: good.key, csr: AGENT.csrPem }), 401, 'wrong_key'],
    ['malformed key', post(good.id, { version: 1, key: 'x', csr: AGENT.csrPem }), 401, 'wrong_key'],
    ['key already used', post(used.id, { version: 1, key: used.key, csr: AGENT.csrPem }), 409, 'used_key'],
    ['expired key', post(expired.id, { version: 1, key: expired.key, csr: AGENT.csrPem }), 410, 'expired_key'],
    ['revoked SBC', post(revoked.id, { version: 1, key: revoked.key, csr: AGENT.csrPem }), 403, 'revoked'],
    ['not JSON', post(good.id, '{'), 400, 'bad_request'],
    ['wrong version', post(good.id, { version: 9, key: good.key, csr: AGENT.csrPem }), 400, 'bad_request'],
    ['no CSR', post(good.id, { version: 1, key: good.key }), 400, 'bad_request'],
    ['broken CSR', post(good.id, { version: 1, key: good.key, csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n' }), 400, 'bad_request'],
    ['not an enrollment path', { ...post(good.id, {}), path: '/other' }, 404, 'bad_request'],
    ['GET', { ...post(good.id, {}), method: 'GET' }, 405, 'bad_request'],
  ];
  for (const [name, request, status, code] of table) {
    const response = await h.service.handle({ ...request, remoteAddress: `127.0.1.${table.findIndex((row) => row[0] === name)}` });
    assert.equal(response.status, status, name);
    assert.equal(errorCode(response), code, name);
  }
  assert.equal(h.store.byName('good')?.state, 'pending', 'a broken CSR does not use the key');
  assert.equal((await h.service.handle(post(good.id, { version: 1, key: good.key, csr: AGENT.csrPem }))).status, 200);
});

test('after maxFailures wrong keys the address gets 429 with Retry-After, even with the right key; other addresses do not', async () => {
  const h = await harness();
  const { id, key } = await addSbc(h, 'paris');
  const wrong = () => post(id, { version: 1, key: generateAuthKey(), csr: AGENT.csrPem }, '127.0.0.9');
  for (let i = 0; i < 3; i++) assert.equal((await h.service.handle(wrong())).status, 401);
  const locked = await h.service.handle(post(id, { version: 1, key, csr: AGENT.csrPem }, '127.0.0.9'));
  assert.equal(locked.status, 429);
  assert.equal(errorCode(locked), 'locked_out');
  assert.equal(locked.headers?.['retry-after'], '300');
  assert.equal((locked.body as { error: { retryAfterSeconds: number } }).error.retryAfterSeconds, 300);
  assert.equal(h.store.byName('paris')?.state, 'pending', 'a locked-out request does not enroll');
  h.clock.advance(300_000);
  assert.equal((await h.service.handle(post(id, { version: 1, key, csr: AGENT.csrPem }, '127.0.0.9'))).status, 200);
});

test('a wrong key is answered only after the growing delay (on the injected clock)', async () => {
  const h = await harness({ maxFailures: 5, windowMs: 60_000, lockoutMs: 60_000, baseDelayMs: 100, maxDelayMs: 1000, maxTracked: 10 });
  const { id } = await addSbc(h, 'paris');
  for (const expected of [100, 200, 400]) {
    let answered = false;
    const pending = h.service.handle(post(id, { version: 1, key: generateAuthKey(), csr: AGENT.csrPem })).then((r) => {
      answered = true;
      return r;
    });
    while (h.clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    h.clock.advance(expected - 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, `still waiting before ${expected} ms`);
    h.clock.advance(1);
    assert.equal((await pending).status, 401);
  }
});

test('checkAgentCertificate: revoked, replaced by re-enrollment, unknown, or no certificate at all', async () => {
  const h = await harness();
  const a = await addSbc(h, 'a');
  const first = (await h.service.handle(post(a.id, { version: 1, key: a.key, csr: AGENT.csrPem }))).body as { certificate: string };
  const firstCert = new X509Certificate(first.certificate);
  // rekey: the old certificate stays valid until the new enrollment replaces it
  const newKey = generateAuthKey();
  await h.store.rekey('a', await hashAuthKey(newKey, FAST_SCRYPT), DAY);
  assert.equal(checkAgentCertificate(h.store, { raw: firstCert.raw }).ok, true);
  const second = (await h.service.handle(post(a.id, { version: 1, key: newKey, csr: createAgentKeyAndCsr('a').csrPem }))).body as { certificate: string };
  const secondCert = new X509Certificate(second.certificate);
  assert.deepEqual(checkAgentCertificate(h.store, { raw: firstCert.raw }), { ok: false, reason: 'superseded' });
  assert.equal(checkAgentCertificate(h.store, { raw: secondCert.raw }).ok, true);
  await h.store.revoke('a');
  assert.deepEqual(checkAgentCertificate(h.store, { raw: secondCert.raw }), { ok: false, reason: 'revoked' });
  assert.deepEqual(checkAgentCertificate(h.store, { raw: new X509Certificate(CA_PAIR.certPem).raw }), { ok: false, reason: 'unknown' });
  assert.deepEqual(checkAgentCertificate(h.store, {}), { ok: false, reason: 'unknown' });
  assert.deepEqual(checkAgentCertificate(h.store, undefined), { ok: false, reason: 'unknown' });
  assert.equal(fingerprintOfPem(second.certificate), secondCert.fingerprint256);
});
