/**
 * Two of our own stacks over real loopback sockets: a REGISTER client against the UA core's
 * registrar over UDP, TCP and TLS (TLS 1.2+ with a throwaway certificate). Shows the listeners,
 * the connectors and connection reuse working together without a third-party peer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSipStack } from '../../src/cli/sip-sockets.js';
import { RegisterClient, UserAgent, type SipStack } from '../../src/sip/index.js';
import { tempDir } from '../support/real-peer.js';

let server: SipStack;
let client: SipStack;
let ua: UserAgent;
const dir = tempDir('sip-tls');

before(async () => {
  const key = join(dir.path, 'key.pem');
  const cert = join(dir.path, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  server = await openSipStack({
    address: '127.0.0.1', udpPort: 0, tcpPort: 0, tlsPort: 0, tlsServer: { key: readFileSync(key), cert: readFileSync(cert) },
  });
  ua = new UserAgent({ endpoint: server });
  server.onRequest(ua.handleRequest);
  client = await openSipStack({ address: '127.0.0.1', udpPort: 0, tcpPort: 0, tlsClient: { ca: readFileSync(cert) } });
});

after(async () => {
  ua.close();
  await client.close();
  await server.close();
  dir.remove();
});

for (const transport of ['UDP', 'TCP', 'TLS'] as const) {
  test(`REGISTER between two stacks over ${transport}, twice over one connection`, { timeout: 20_000 }, async () => {
    const port = server.transport.localAddress(transport)?.port;
    assert.ok(port !== undefined);
    const opened = client.transport.counters().connectionsOpened;
    const register = new RegisterClient({
      endpoint: client, target: { transport, host: '127.0.0.1', port }, registrarUri: 'sip:127.0.0.1',
      aor: 'sip:2001@127.0.0.1', username: '2001', password: 'unused', expires: 60,
    });
    try {
      assert.equal((await register.register()).expires, 60);
      await register.unregister();
    } finally {
      register.close();
    }
    assert.equal(client.transport.counters().connectionsOpened - opened, transport === 'UDP' ? 0 : 1);
  });
}
