import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import type { HttpRequestInfo } from '../../../src/net/index.js';
import {
  InboxFile, PhoneInbox, ProvisioningRelay, VENDOR_RULES, checkRequestPath, customRule, decide, macsInPath, substitute,
  type UpstreamResult,
} from '../../../src/pnp/index.js';

const TRAVERSALS = [
  '/../etc/passwd', '/a/../../etc/passwd', '/%2e%2e/etc/passwd', '/%2E%2E/x', '/a%2f..%2fb', '/a%5c..%5cb', '/a\\..\\b',
  '/x%00.cfg', '/bad%zz', 'http://evil/x', '*', '/./x', `/${'a'.repeat(600)}`, '/a?x y',
];

for (const target of TRAVERSALS) {
  test(`path ${JSON.stringify(target.slice(0, 40))} is refused`, () => {
    assert.equal(checkRequestPath(target).ok, false);
  });
}

test('ordinary provisioning paths pass unchanged', () => {
  assert.deepEqual(checkRequestPath('/001565f4f9e1.cfg'), { ok: true, path: '001565f4f9e1.cfg', query: '' });
  assert.deepEqual(checkRequestPath('/fw/T21P%20v1.rom?mac=1'), { ok: true, path: 'fw/T21P v1.rom', query: '?mac=1' });
});

test('MACs in paths; the Yealink common file y0000000000xx.cfg names none', () => {
  assert.deepEqual(macsInPath('001565F4F9E1.cfg'), ['001565f4f9e1']);
  assert.deepEqual(macsInPath('cfgc074ad112233.xml'), ['c074ad112233']);
  assert.deepEqual(macsInPath('y000000000044.cfg'), []);
  assert.deepEqual(macsInPath('phonebook.xml'), []);
});

const SUBSTITUTIONS: ReadonlyArray<readonly [string, string, string]> = [
  ['yealink', '#!version:1.0.0.1\naccount.1.sip_server.1.address = pbx.example.com\naccount.1.sip_server.1.port = 5060\naccount.2.outbound_proxy.1.address=10.9.9.9\n',
    '#!version:1.0.0.1\naccount.1.sip_server.1.address = 10.0.0.1\naccount.1.sip_server.1.port = 5060\naccount.2.outbound_proxy.1.address=10.0.0.1\n'],
  ['snom', '<settings><user_host idx="1" perm="">pbx.example.com</user_host><user_outbound idx="1" perm=""></user_outbound></settings>',
    '<settings><user_host idx="1" perm="">10.0.0.1</user_host><user_outbound idx="1" perm="">10.0.0.1</user_outbound></settings>'],
  ['grandstream xml', '<config><P47>pbx.example.com</P47><P48></P48><P35>201</P35></config>', '<config><P47>10.0.0.1</P47><P48>10.0.0.1</P48><P35>201</P35></config>'],
  ['grandstream text', 'P47 = pbx.example.com\r\nP470 = keep\r\nP48 = \r\n', 'P47 = 10.0.0.1\r\nP470 = keep\r\nP48 = 10.0.0.1\r\n'],
  ['nothing to change', 'account.1.label = Reception\n', 'account.1.label = Reception\n'],
];

for (const [name, input, output] of SUBSTITUTIONS) {
  test(`registrar substitution: ${name}`, () => {
    assert.equal(substitute(Buffer.from(input), VENDOR_RULES, '10.0.0.1').body.toString(), output);
  });
}

test('a configured rule needs a capture group; binary bodies are left alone', () => {
  assert.throws(() => customRule('x', 'registrar=\\S+'), /capture group/);
  const rule = customRule('fanvil', '^sip1 server = (\\S+)$');
  assert.equal(substitute(Buffer.from('sip1 server = pbx\n'), [rule], '10.0.0.1').body.toString(), 'sip1 server = 10.0.0.1\n');
  const firmware = Buffer.from([0, 1, 2, ...Buffer.from('P47 = pbx\n')]);
  assert.equal(substitute(firmware, VENDOR_RULES, '10.0.0.1').body, firmware);
});

function relayRig() {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-relay-'));
  const clock = new ManualClock();
  const file = new InboxFile(dir, clock);
  const inbox = new PhoneInbox(file, 'inbox', clock, silentLogger);
  const calls: string[] = [];
  const waiting: Array<() => void> = [];
  const upstream = {
    fetch(path: string): Promise<UpstreamResult> {
      calls.push(path);
      const body = Buffer.from(path.endsWith('.cfg') ? 'account.1.sip_server.1.address = pbx.example.com\n' : 'x');
      return new Promise((resolve) => waiting.push(() => resolve({ status: path.includes('missing') ? 404 : 200, contentType: undefined, body })));
    },
  };
  const relay = new ProvisioningRelay({ upstream, inbox, clock, log: silentLogger, cacheTtlMs: 60_000 });
  const get = (target: string, from = '10.0.0.50'): Promise<{ status: number; body: string }> => {
    const req: HttpRequestInfo = { method: 'GET', target, headers: {}, remote: { address: from, port: 40000, family: 'IPv4' }, local: { address: '10.0.0.1', port: 8080, family: 'IPv4' } };
    const p = relay.handle(req);
    queueMicrotask(() => waiting.splice(0).forEach((f) => f()));
    return p.then((r) => ({ status: r.status, body: r.body?.toString() ?? '' }));
  };
  return { dir, clock, file, inbox, relay, calls, get, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('relay: approved MAC served with the registrar rewritten; unknown and rejected get 403', async () => {
  const r = relayRig();
  try {
    await r.file.update((d) => decide(decide(d, '001565f4f9e1', 'approved'), 'c074ad112233', 'rejected'));
    r.inbox.reload();
    assert.deepEqual(await r.get('/001565f4f9e1.cfg'), { status: 200, body: 'account.1.sip_server.1.address = 10.0.0.1\n' });
    assert.equal((await r.get('/c074ad112233.cfg')).status, 403);
    assert.equal((await r.get('/aabbccddeeff.cfg')).status, 403);
    assert.equal((await r.get('/../x')).status, 400);
    assert.equal((await r.get('/missing-001565f4f9e1.cfg')).status, 404);
    assert.deepEqual(r.calls, ['001565f4f9e1.cfg', 'missing-001565f4f9e1.cfg']);
  } finally {
    r.done();
  }
});

test('relay: a file without a MAC is served to the address of an approved phone only', async () => {
  const r = relayRig();
  try {
    await r.file.update((d) => decide(d, 'ip:10.0.0.60', 'approved'));
    r.inbox.reload();
    assert.equal((await r.get('/y000000000044.cfg', '10.0.0.60')).status, 200);
    assert.equal((await r.get('/y000000000044.cfg', '10.0.0.61')).status, 403);
  } finally {
    r.done();
  }
});

test('relay: 50 concurrent requests for one file cost one upstream fetch; the cache serves until it expires', async () => {
  const r = relayRig();
  try {
    await r.file.update((d) => decide(d, '001565f4f9e1', 'approved'));
    r.inbox.reload();
    const replies = await Promise.all(Array.from({ length: 50 }, () => r.get('/001565f4f9e1.cfg')));
    assert.ok(replies.every((x) => x.status === 200));
    assert.equal(r.calls.length, 1);
    await r.get('/001565f4f9e1.cfg');
    assert.equal(r.calls.length, 1);
    r.clock.advance(60_001);
    await r.get('/001565f4f9e1.cfg');
    assert.equal(r.calls.length, 2);
    assert.equal(r.relay.stats.upstreamFetches, 2);
  } finally {
    r.done();
  }
});
