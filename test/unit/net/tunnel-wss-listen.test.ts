import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { listenTunnelWss } from '../../../src/net/index.js';
import { makeTunnelCerts } from '../../support/tunnel-certs.js';

test('a WSS tunnel listener on a port in use rejects with EADDRINUSE instead of crashing the process', async () => {
  const certs = makeTunnelCerts();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  assert.ok(address !== null && typeof address === 'object');
  try {
    await assert.rejects(
      listenTunnelWss({ key: certs.hub.key, cert: certs.hub.cert, ca: certs.ca, host: '127.0.0.1', port: address.port, onCarriage: () => {} }),
      (error: unknown) => error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE',
    );
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});
