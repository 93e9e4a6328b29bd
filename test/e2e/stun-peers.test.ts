/**
 * Real peers on loopback: coturn's turnutils_stunclient and turnutils_natdiscovery and the
 * RFC 3489 `stun` client against our server; our client against coturn, compared with
 * turnutils_natdiscovery. Fixed ports 16100–16201 (RFC 5780 needs known alternate ports).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { behaviourFromCoturn, MAIN, run, start, waitForStun, type Started } from './stun-process.js';

const OURS = { port: 16100, altPort: 16101 };
const COTURN = { port: 16200, altPort: 16201 };
const dir = mkdtempSync(join(tmpdir(), 'stun-peers-'));
let ours: Started | undefined;
let coturn: Started | undefined;

before(async () => {
  ours = await start(process.execPath, [MAIN, 'stun-server', '--listen', `127.0.0.1:${OURS.port}`, '--alternate', `127.0.0.2:${OURS.altPort}`, '--rate-limit', '0'], /stun-server listening/u);
  coturn = await start(
    'turnserver',
    ['-n', '--stun-only', '-L', '127.0.0.1', '-L', '127.0.0.2', '-p', String(COTURN.port), '--alt-listening-port', String(COTURN.altPort), '--no-tls', '--no-dtls', '--no-cli', '--log-file', 'stdout', '--simple-log', '--pidfile', join(dir, 'turn.pid')],
    /IO method \(main listener thread\)/u,
  );
  await waitForStun('127.0.0.1', COTURN.port);
  await waitForStun('127.0.0.2', COTURN.altPort);
});

after(async () => {
  await ours?.stop();
  await coturn?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('turnutils_stunclient gets the right reflexive address and RFC 5780 attributes from our server', async () => {
  const result = await run('turnutils_stunclient', ['-p', String(OURS.port), '127.0.0.1'], 30_000);
  assert.equal(result.code, 0, result.stderr);
  const reflexive = [...result.stdout.matchAll(/UDP reflexive addr: ([\d.]+):(\d+)/gu)];
  assert.ok(reflexive.length >= 2, result.stdout);
  for (const m of reflexive) assert.equal(m[1], '127.0.0.1');
  assert.equal(reflexive[0]?.[2], reflexive[1]?.[2], 'responses 1 and 2 come to the same socket');
  assert.match(result.stdout, new RegExp(`Other addr: : 127\\.0\\.0\\.2:${OURS.altPort}`, 'u'));
  assert.match(result.stdout, new RegExp(`Response origin: : 127\\.0\\.0\\.2:${OURS.altPort}`, 'u'), 'CHANGE-REQUEST answered from the other address');
});

test('turnutils_natdiscovery against our server: reflexive port equals its local port; EIM and EIF', async () => {
  const result = await run('turnutils_natdiscovery', ['-m', '-f', '-p', String(OURS.port), '127.0.0.1'], 60_000);
  const local = /Local addr: : 0\.0\.0\.0:(\d+)/u.exec(result.stdout)?.[1];
  const reflexive = /UDP reflexive addr: 127\.0\.0\.1:(\d+)/u.exec(result.stdout)?.[1];
  assert.ok(local !== undefined, result.stdout);
  assert.equal(reflexive, local);
  assert.equal(behaviourFromCoturn(result.stdout, 'Mapping'), 'endpoint-independent');
  assert.equal(behaviourFromCoturn(result.stdout, 'Filtering'), 'endpoint-independent');
});

test('stun (RFC 3489 client) gets MAPPED-ADDRESS = its own port and sees the changed addresses', async () => {
  const result = await run('stun', [`127.0.0.1:${OURS.port}`, '-v', '-p', '16150'], 30_000);
  const output = result.stdout + result.stderr;
  assert.match(output, /MappedAddress = 127\.0\.0\.1:16150/u);
  assert.match(output, new RegExp(`ChangedAddress = 127\\.0\\.0\\.2:${OURS.altPort}`, 'u'));
  assert.match(output, new RegExp(`SourceAddress = 127\\.0\\.0\\.2:${OURS.port}`, 'u'), 'change IP answered from the alternate IP');
  assert.match(output, /Primary: Open/u);
  assert.equal(result.code, 1, 'stun exits with its verdict code 0x000001 (open)');
});

for (const [name, port] of [['coturn', COTURN.port], ['our server', OURS.port]] as const) {
  test(`our client --nat --json reports what turnutils_natdiscovery reports, against ${name}`, async () => {
    const theirs = await run('turnutils_natdiscovery', ['-m', '-f', '-p', String(port), '127.0.0.1'], 60_000);
    const result = await run(process.execPath, [MAIN, 'stun', '--server', `127.0.0.1:${port}`, '--nat', '--json', '--timeout', '5'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(report['mapping'], behaviourFromCoturn(theirs.stdout, 'Mapping'));
    assert.equal(report['filtering'], behaviourFromCoturn(theirs.stdout, 'Filtering'));
    assert.equal(report['hairpin'], true);
    assert.equal(report['natPresent'], false);
    assert.equal(report['mappedAddress'], report['localAddress']);
    assert.match(String(report['mappedAddress']), /^127\.0\.0\.1:\d+$/u);
  });
}

test('our client over TCP against our server and coturn', async () => {
  for (const port of [OURS.port, COTURN.port]) {
    const result = await run(process.execPath, [MAIN, 'stun', '--tcp', '--server', `127.0.0.1:${port}`, '--json', '--timeout', '5'], 30_000);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(report['mappedAddress'], report['localAddress']);
  }
});

test('no answer: a clear error naming the server and the time waited, exit code 5', async (t) => {
  // A server that takes the datagrams and never answers (a closed port is refused at once instead).
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(16199, '127.0.0.1', resolve));
  t.after(() => silent.close());
  const result = await run(process.execPath, [MAIN, 'stun', '--server', '127.0.0.1:16199', '--timeout', '1'], 30_000);
  assert.equal(result.code, 5);
  assert.match(result.stderr, /no answer from STUN server 127\.0\.0\.1:16199 after 1\.\d s/u);
  assert.equal(result.stdout, '');
});
