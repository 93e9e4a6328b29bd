/**
 * Issue 10: the agent's provisioning relay fetches through the tunnel. The real `sbc-agent hub`
 * process, configured with hub.provisioning.upstream (a small HTTP server of this test on
 * 127.0.0.1 playing the PBX's provisioning server) and no hub.pbx; an agent enrolled the way a
 * person does it (`hub add-sbc`, `enroll`); the agent's tunnel (src/agent-tunnel.ts) and a
 * ProvisioningRelay whose upstream is tunnelUpstream (src/agent-provisioning.ts), served over HTTP
 * on 127.0.0.1 as a phone sees it. The phone gets the PBX's files byte for byte, with the registrar
 * rewritten to the agent; the hub logs which SBC, phone and path. With the hub gone, the relay
 * answers 502 at once (cached files are still served).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentTunnel } from '../../src/agent-tunnel.js';
import { tunnelUpstream } from '../../src/agent-provisioning.js';
import { realClock, silentLogger } from '../../src/core/index.js';
import { startHttpServer, type HttpServerHandle } from '../../src/net/index.js';
import { InboxFile, PhoneInbox, ProvisioningRelay } from '../../src/pnp/index.js';
import { CliProcess, closedPort, runCli } from '../support/integ-process.js';

const COMMON_CFG = Buffer.from(
  '#!version:1.0.0.1\n## the PBX\'s common file for T4x phones\naccount.1.enable = 1\naccount.1.sip_server.1.address = pbx.example.net\naccount.1.sip_server.1.port = 5060\nlocal_time.time_zone = +1\n',
);
const PHONE_CFG = Buffer.from('#!version:1.0.0.1\naccount.1.user_name = 201\naccount.1.sip_server.1.address = 192.0.2.50\n');

/** A firmware-like file: binary (NUL bytes, so the relay leaves it as it is), several tunnel frames long. */
function firmware(): Buffer {
  const b = Buffer.alloc(300_000);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32BE(i * 2654435761 >>> 0, i);
  return b;
}
const FIRMWARE = firmware();

const FILES: Readonly<Record<string, { type: string; body: Buffer }>> = {
  '/prov/y000000000044.cfg': { type: 'text/plain', body: COMMON_CFG },
  '/prov/001565f4f9e1.cfg': { type: 'text/plain', body: PHONE_CFG },
  '/prov/fw/T46U-66.86.0.15.rom': { type: 'application/octet-stream', body: FIRMWARE },
};

let dir: string;
let upstream: Server;
const upstreamHits: string[] = [];
let hub: CliProcess | undefined;
let tunnel: AgentTunnel | undefined;
let inbox: PhoneInbox | undefined;
let relayServer: HttpServerHandle | undefined;

function get(port: number, path: string): Promise<{ status: number; body: Buffer; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-prov-'));
  upstream = createServer((req, res) => {
    upstreamHits.push(req.url ?? '');
    const file = FILES[req.url ?? ''];
    if (file === undefined) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not here');
    else res.writeHead(200, { 'Content-Type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await relayServer?.close();
  await inbox?.close();
  await tunnel?.close();
  await hub?.stop();
  await new Promise((resolve) => upstream.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

test('a branch phone gets its files from the PBX\'s provisioning server through the tunnel (hub without hub.pbx)', { timeout: 120_000 }, async (t) => {
  const address = upstream.address();
  assert.ok(address !== null && typeof address === 'object');
  const hubState = join(dir, 'hub-state');
  const agentState = join(dir, 'agent-state');
  const config = join(dir, 'hub.yaml');
  await writeFile(
    config,
    `log:\n  level: info\nhub:\n  tunnel:\n    port: ${await closedPort()}\n  wss:\n    port: ${await closedPort()}\n  provisioning:\n    upstream: http://127.0.0.1:${address.port}/prov/\n    timeout: 10s\n`,
  );
  hub = new CliProcess(['hub', '--config', config, '--state-dir', hubState, '--listen', '127.0.0.1', '--enroll-port', '0']);
  const enrollment = await hub.waitForOutput(/^hub: enrollment https:\/\/127\.0\.0\.1:(\d+)\/enroll\/$/m, 30_000);
  await hub.waitForOutput(/^hub: ready$/m, 30_000);
  assert.doesNotMatch(hub.stdout, /sip-pbx/, 'no call path: the hub serves provisioning without hub.pbx');

  const added = await runCli(['hub', 'add-sbc', '--name', 'branch-lyon', '--state-dir', hubState, '--url-host', `127.0.0.1:${enrollment[1] ?? ''}`, '--json']);
  assert.equal(added.code, 0, added.stderr);
  const key = JSON.parse(added.stdout) as { url: string; key: string; fingerprint: string };
  const enrolled = await runCli(['enroll', '--url', key.url, '--key', key.key, '--fingerprint', key.fingerprint, '--state-dir', agentState]);
  assert.equal(enrolled.code, 0, enrolled.stderr);

  tunnel = await AgentTunnel.open({ stateDir: agentState, logger: silentLogger, connectTimeoutMs: 5000, publishStatus: false });
  await tunnel.start();
  await tunnel.whenOpen();
  assert.equal(tunnel.client.stats().peer?.carriage, 'tls');

  const file = new InboxFile(join(dir, 'pnp'), realClock);
  inbox = new PhoneInbox(file, 'auto', realClock, silentLogger);
  inbox.reload();
  const relay = new ProvisioningRelay({ upstream: tunnelUpstream(tunnel.client, { clock: realClock }), inbox, clock: realClock, log: silentLogger });
  relayServer = await startHttpServer({ host: '127.0.0.1', port: 0, handler: (req) => relay.handle(req) });
  const port = relayServer.local.port;

  const common = await get(port, '/y000000000044.cfg');
  assert.equal(common.status, 200);
  assert.equal(common.type, 'text/plain');
  assert.deepEqual(common.body, Buffer.from(COMMON_CFG.toString().replace('account.1.sip_server.1.address = pbx.example.net', 'account.1.sip_server.1.address = 127.0.0.1')));
  assert.match(common.body.toString(), /^account\.1\.sip_server\.1\.address = 127\.0\.0\.1$/m, 'the registrar is the agent');

  const own = await get(port, '/001565f4f9e1.cfg');
  assert.equal(own.status, 200);
  assert.deepEqual(own.body, Buffer.from(PHONE_CFG.toString().replace('192.0.2.50', '127.0.0.1')));

  const rom = await get(port, '/fw/T46U-66.86.0.15.rom');
  assert.equal(rom.status, 200);
  assert.equal(rom.type, 'application/octet-stream');
  assert.ok(rom.body.equals(FIRMWARE), `firmware byte for byte (${rom.body.length} of ${FIRMWARE.length} bytes)`);

  assert.equal((await get(port, '/missing.cfg')).status, 404, 'the upstream\'s 404 reaches the phone as 404');
  assert.equal((await get(port, '/../etc/passwd')).status, 400);
  assert.deepEqual(upstreamHits, ['/prov/y000000000044.cfg', '/prov/001565f4f9e1.cfg', '/prov/fw/T46U-66.86.0.15.rom', '/prov/missing.cfg']);

  // The hub's log names the SBC, the phone and the path, with the status.
  await hub.waitForStderr(/"path":"missing\.cfg"[^\n]*"msg":"provisioning fetch"/, 10_000);
  const lines = hub.stderr.split('\n').filter((l) => l.includes('"msg":"provisioning fetch"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => [l['sbc'], l['mac'], l['path'], l['status']]), [
    ['branch-lyon', undefined, 'y000000000044.cfg', 200],
    ['branch-lyon', '001565f4f9e1', '001565f4f9e1.cfg', 200],
    ['branch-lyon', undefined, 'fw/T46U-66.86.0.15.rom', 200],
    ['branch-lyon', undefined, 'missing.cfg', 404],
  ]);
  assert.deepEqual(relay.stats.upstreamErrors, 0);

  // The hub goes away: a file not yet cached is answered 502 at once, not left hanging.
  await hub.stop();
  for (let i = 0; i < 100 && tunnel.client.state === 'open'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.notEqual(tunnel.client.state, 'open');
  assert.equal((await get(port, '/001565f4f9e2.cfg')).status, 502);
  assert.equal(relay.stats.upstreamErrors, 1);
  assert.equal((await get(port, '/y000000000044.cfg')).status, 200, 'a cached file is still served');
  t.diagnostic(`${FIRMWARE.length + COMMON_CFG.length + PHONE_CFG.length} bytes fetched through the tunnel`);
});
