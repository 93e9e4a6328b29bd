import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../../src/core/index.js';
import {
  EnrollError,
  IdentityError,
  agentIdentityFiles,
  agentStatePaths,
  enrollAgent,
  fingerprintOfPem,
  generateAuthKey,
  hashAuthKey,
  loadAgentIdentity,
  type EnrollFailure,
  type EnrollTransport,
} from '../../../../src/tunnel/index.js';
import { CA_PAIR, FAST_SCRYPT, SERVER_CHAIN, harness, type Harness } from './fixtures.js';

const HUB_FP = fingerprintOfPem(CA_PAIR.certPem);

/** A transport that hands the request straight to the service, presenting `chain`. */
function loopback(h: Harness, chain: readonly Buffer[] = SERVER_CHAIN): EnrollTransport & { posts: number } {
  const t = {
    posts: 0,
    peerChain: () => Promise.resolve([...chain]),
    post: async (url: URL, body: string, verifyPeer: (c: readonly Buffer[]) => void) => {
      verifyPeer(chain);
      t.posts += 1;
      const response = await h.service.handle({ method: 'POST', path: url.pathname, remoteAddress: '127.0.0.2', host: url.host, body: Buffer.from(body) });
      return { status: response.status, body: Buffer.from(JSON.stringify(response.body)) };
    },
  };
  return t;
}

async function added(h: Harness): Promise<{ url: string; key: string }> {
  const key = generateAuthKey();
  const r = await h.store.add('paris', 'abc123', await hashAuthKey(key, FAST_SCRYPT), 86_400_000);
  return { url: `https://hub.test:5001/enroll/${r.id}`, key };
}

function failsWith(reason: EnrollFailure) {
  return (e: unknown) => e instanceof EnrollError && e.reason === reason;
}

test('enroll with the right fingerprint: identity stored as files that load back and belong together', async () => {
  const h = await harness();
  const { url, key } = await added(h);
  const asked: string[] = [];
  const identity = await enrollAgent({ url, key, fingerprint: HUB_FP.toLowerCase(), confirm: (fp) => Promise.resolve(asked.push(fp) > 0), transport: loopback(h), clock: h.clock });
  assert.deepEqual(asked, [], 'a given fingerprint is not asked about');
  assert.equal(identity.record.sbc.name, 'paris');
  assert.equal(identity.record.caFingerprint, HUB_FP);
  assert.equal(identity.caPem, CA_PAIR.certPem);
  const paths = agentStatePaths('/state');
  const files = new Map(agentIdentityFiles(paths, identity).map((f) => [f.path, Buffer.from(f.data)]));
  assert.deepEqual([...files.keys()], [paths.key, paths.cert, paths.caCert, paths.hub], 'hub.json is written last');
  const read = (p: string) => Promise.resolve(files.get(p));
  assert.deepEqual(await loadAgentIdentity(paths, read), identity);
  assert.equal(await loadAgentIdentity(paths, () => Promise.resolve(undefined)), undefined, 'not enrolled');
  const other = await enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: loopback(h), clock: h.clock }).catch((e: unknown) => e);
  assert.ok(failsWith('used_key')(other));
  files.set(paths.key, Buffer.from(CA_PAIR.keyPem));
  await assert.rejects(loadAgentIdentity(paths, read), IdentityError, 'a key that does not fit the certificate is detected');
  files.delete(paths.cert);
  await assert.rejects(loadAgentIdentity(paths, read), /incomplete/);
});

test('without --fingerprint the person is asked; declining sends nothing', async () => {
  const h = await harness();
  const { url, key } = await added(h);
  const t = loopback(h);
  const asked: string[] = [];
  await assert.rejects(enrollAgent({ url, key, confirm: (fp) => Promise.resolve(asked.push(fp) < 0), transport: t, clock: h.clock }), failsWith('declined'));
  assert.deepEqual(asked, [HUB_FP]);
  assert.equal(t.posts, 0);
  const identity = await enrollAgent({ url, key, confirm: () => Promise.resolve(true), transport: t, clock: h.clock });
  assert.equal(identity.record.caFingerprint, HUB_FP);
});

test('a fingerprint mismatch, a swapped chain or a hub that changes between connections is refused before the key is sent', async () => {
  const h = await harness();
  const { url, key } = await added(h);
  const wrong = HUB_FP.replace(/^../, HUB_FP.startsWith('00') ? '11' : '00');
  const t = loopback(h);
  await assert.rejects(enrollAgent({ url, key, fingerprint: wrong, confirm: () => Promise.resolve(true), transport: t, clock: h.clock }), failsWith('fingerprint'));
  assert.equal(t.posts, 0);
  // The CA alone, without a server certificate signed by it, does not prove anything about the server.
  const [leaf, ca] = SERVER_CHAIN;
  assert.ok(leaf !== undefined && ca !== undefined);
  const caOnlyOnTop = loopback(h, [Buffer.from(leaf).fill(1, 200, 210), ca]);
  await assert.rejects(enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: caOnlyOnTop, clock: h.clock }), failsWith('fingerprint'));
  const selfSigned = loopback(h, [Buffer.from(ca)]);
  const identity = await enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: selfSigned, clock: h.clock });
  assert.equal(identity.record.caFingerprint, HUB_FP, 'a hub presenting the pinned certificate itself is accepted');
  assert.equal(caOnlyOnTop.posts, 0);
  const switching = { ...loopback(h), post: (_u: URL, _b: string, verify: (c: readonly Buffer[]) => void) => (verify([leaf]), Promise.reject(new Error('sent'))) };
  await assert.rejects(enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: switching, clock: h.clock }), failsWith('fingerprint'));
});

test('unreachable hub, bad URL, malformed key, bad fingerprint text, nonsense answer', async () => {
  const h = await harness();
  const { url, key } = await added(h);
  const down: EnrollTransport = { peerChain: () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), post: () => Promise.reject(new Error('unused')) };
  await assert.rejects(enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: down, clock: h.clock }), (e: unknown) => failsWith('unreachable')(e) && /ECONNREFUSED/.test((e as Error).message));
  for (const bad of ['http://hub.test/enroll/abc', 'https://hub.test/other', 'not a url']) {
    await assert.rejects(enrollAgent({ url: bad, key, confirm: () => Promise.resolve(true), transport: loopback(h), clock: h.clock }), UsageError, bad);
  }
  await assert.rejects(enrollAgent({ url, key: 'abc', confirm: () => Promise.resolve(true), transport: loopback(h), clock: h.clock }), failsWith('wrong_key'));
  await assert.rejects(enrollAgent({ url, key, fingerprint: 'AB:CD', confirm: () => Promise.resolve(true), transport: loopback(h), clock: h.clock }), UsageError);
  const nonsense: EnrollTransport = { ...loopback(h), post: () => Promise.resolve({ status: 200, body: Buffer.from('<html>') }) };
  await assert.rejects(enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: nonsense, clock: h.clock }), failsWith('bad_response'));
  const foreign: EnrollTransport = { ...loopback(h), post: () => Promise.resolve({ status: 404, body: Buffer.from('not found') }) };
  await assert.rejects(enrollAgent({ url, key, fingerprint: HUB_FP, confirm: () => Promise.resolve(true), transport: foreign, clock: h.clock }), failsWith('bad_response'));
});
