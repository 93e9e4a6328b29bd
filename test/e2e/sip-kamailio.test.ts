/**
 * Our REGISTER client against a real Kamailio registrar with digest auth (test/support/kamailio.ts)
 * over UDP, TCP and TLS (TLS 1.2+, a throwaway certificate): the right password registers,
 * a wrong one ends in an authentication failure (AuthFailure / exit code 20), never a hang.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSipStack } from '../../src/cli/sip-sockets.js';
import { EXIT } from '../../src/cli/index.js';
import { RegisterClient, type SipStack, type SipTransportName } from '../../src/sip/index.js';
import { KAMAILIO_PASSWORD, startKamailio, type KamailioInstance } from '../support/kamailio.js';

const PORT = 15080;
const TLS_PORT = 15081;
/** The program as built beside this test (dist/ or dist-NAME/). */
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

let kamailio: KamailioInstance;
let stack: SipStack;

before(async () => {
  kamailio = await startKamailio({ port: PORT, tlsPort: TLS_PORT });
  const certPath = kamailio.certPath;
  assert.ok(certPath !== undefined);
  stack = await openSipStack({ address: '127.0.0.1', udpPort: 0, tcpPort: 0, tlsClient: { ca: readFileSync(certPath) } });
});

after(async () => {
  await stack?.close();
  await kamailio?.stop();
});

function client(transport: SipTransportName, user: string, password: string): RegisterClient {
  return new RegisterClient({
    endpoint: stack,
    target: { transport, host: '127.0.0.1', port: transport === 'TLS' ? TLS_PORT : PORT },
    registrarUri: `sip:${kamailio.domain}`,
    aor: `sip:${user}@${kamailio.domain}`,
    username: user,
    password,
    expires: 120,
  });
}

for (const [transport, user] of [['UDP', '1001'], ['TCP', '1002'], ['TLS', '1003']] as const) {
  test(`REGISTER with digest auth to Kamailio over ${transport} succeeds, then unregisters`, { timeout: 30_000 }, async () => {
    const c = client(transport, user, KAMAILIO_PASSWORD);
    try {
      const registration = await c.register();
      assert.equal(registration.expires, 120);
      assert.equal(registration.contacts.length, 1);
      assert.match(registration.contacts[0] ?? '', new RegExp(`transport=${transport.toLowerCase()}`, 'i'));
      await c.unregister();
    } finally {
      c.close();
    }
  });

  test(`REGISTER over ${transport} with a wrong password is an authentication failure`, { timeout: 30_000 }, async () => {
    const c = client(transport, '2001', 'not-the-password');
    try {
      await assert.rejects(c.register(), { name: 'AuthFailure', code: 'SBC_ERR_SIP_AUTH', reason: 'rejected' });
    } finally {
      c.close();
    }
  });
}

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'sip-register', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

test('sbc-agent sip-register: exit 0 with the right password, 20 with a wrong one, 5 with no registrar', { timeout: 60_000 }, async () => {
  const registrar = `sip:127.0.0.1:${PORT};transport=tcp`;
  const ok = await runCli(['--registrar', registrar, '--user', '3001', '--password', KAMAILIO_PASSWORD, '--domain', kamailio.domain, '--json']);
  assert.equal(ok.code, EXIT.OK, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { registered: true, exitCode: 0, detail: `registered 3001@${kamailio.domain} for 300 s`, expires: 300 });
  const wrong = await runCli(['--registrar', registrar, '--user', '3002', '--password', 'wrong', '--domain', kamailio.domain]);
  assert.equal(wrong.code, EXIT.SIP_AUTH, wrong.stderr);
  assert.match(wrong.stderr, /authentication failed/);
  const tls = await runCli(['--registrar', `sip:127.0.0.1:${TLS_PORT};transport=tls`, '--user', '3003', '--password', KAMAILIO_PASSWORD,
    '--domain', kamailio.domain, '--ca', kamailio.certPath ?? '']);
  assert.equal(tls.code, EXIT.OK, tls.stderr);
  // Nothing listens on this TCP port: the connection is refused at once.
  const none = await runCli(['--registrar', 'sip:127.0.0.1:15099;transport=tcp', '--user', '3004', '--password', 'x']);
  assert.equal(none.code, EXIT.TIMEOUT, none.stderr);
});
