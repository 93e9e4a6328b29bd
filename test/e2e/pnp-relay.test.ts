/**
 * The provisioning relay over real HTTP on 127.0.0.1: a local fake upstream (the PBX's
 * provisioning server) counts its requests. An approved phone's file is served with the
 * registrar rewritten to the agent; an unapproved phone gets 403; traversal and oversized
 * headers get 400 and nothing else; 50 concurrent requests for one file cost one upstream fetch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock, silentLogger } from '../../src/core/index.js';
import { startHttpServer } from '../../src/net/index.js';
import { InboxFile, PhoneInbox, ProvisioningRelay, decide, httpUpstream } from '../../src/pnp/index.js';

const YEALINK_CFG = '#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.sip_server.1.address = pbx.example.net\naccount.1.sip_server.1.port = 5060\n';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends bytes as they are (no client-side path normalisation) and returns the whole reply. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}

test('provisioning relay: approved, refused, 400s, and one upstream fetch for 50 concurrent requests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-relay-'));
  const upstreamHits: string[] = [];
  const upstream: Server = createServer((req, res) => {
    upstreamHits.push(req.url ?? '');
    // Slow enough that all 50 requests are in flight before the first fetch completes.
    setTimeout(() => {
      if (req.url === '/001565f4f9e1.cfg' || req.url === '/phonebook-001565f4f9e1.xml') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(YEALINK_CFG);
      } else {
        res.writeHead(404).end();
      }
    }, 100);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  assert.ok(typeof address === 'object' && address !== null);
  const file = new InboxFile(dir, realClock);
  await file.update((d) => decide(decide(d, '001565f4f9e1', 'approved', '201'), 'c074ad112233', 'rejected'));
  const inbox = new PhoneInbox(file, 'inbox', realClock, silentLogger);
  inbox.reload();
  const relay = new ProvisioningRelay({ upstream: httpUpstream(`http://127.0.0.1:${address.port}/`), inbox, clock: realClock, log: silentLogger });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, handler: (req) => relay.handle(req), maxHeaderBytes: 8192 });
  const port = server.local.port;
  try {
    const served = await get(port, '/001565f4f9e1.cfg');
    assert.equal(served.status, 200);
    assert.equal(served.body, YEALINK_CFG.replace('pbx.example.net', '127.0.0.1'));

    assert.equal((await get(port, '/c074ad112233.cfg')).status, 403);
    assert.equal((await get(port, '/aabbccddeeff.cfg')).status, 403);
    assert.equal((await get(port, '/y000000000044.cfg')).status, 403, 'no MAC in the path and no approved phone at 127.0.0.1');

    for (const target of ['/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/a%2f..%2f..%2fetc/passwd', '/a\\..\\b']) {
      const reply = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(reply, /^HTTP\/1\.1 400 /, target);
    }
    const big = await raw(port, `GET /001565f4f9e1.cfg HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(big, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    const longTarget = await raw(port, `GET /${'a'.repeat(2000)}001565f4f9e1.cfg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(longTarget, /^HTTP\/1\.1 400 /);

    const before = upstreamHits.length;
    const wave = await Promise.all(Array.from({ length: 50 }, () => get(port, '/phonebook-001565f4f9e1.xml')));
    assert.ok(wave.every((r) => r.status === 200 && r.body.includes('127.0.0.1')));
    assert.deepEqual(upstreamHits.slice(before), ['/phonebook-001565f4f9e1.xml']);
    assert.deepEqual(upstreamHits, ['/001565f4f9e1.cfg', '/phonebook-001565f4f9e1.xml'], 'refused requests never reach the upstream');
  } finally {
    await server.close();
    await new Promise((resolve) => upstream.close(resolve));
    await inbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
