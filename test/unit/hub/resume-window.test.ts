/**
 * hub.tunnel.resumeWindow (issue 12): the hub keeps a dropped agent session that long, and the
 * agent learns the value from the hub's HELLO(ACK) (whole seconds), so its calls through the tunnel
 * wait out the hub's window, not an assumed 5 minutes (src/sbc/tunnel-dialogs.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realClock, silentLogger } from '../../../src/core/index.js';
import { validateConfig } from '../../../src/config/index.js';
import { hubTunnelService } from '../../../src/hub-tunnel.js';
import type { HubState } from '../../../src/hub-state.js';
import { TunnelServer } from '../../../src/tunnel/index.js';
import { connectedPair, settle } from '../tunnel/harness.js';

/** The constructor reads only the hub's names; nothing here starts a listener. */
const STATE = { names: ['hub.example.net'] } as unknown as HubState;

test('the hub tunnel service takes hub.tunnel.resumeWindow (default 5 min)', () => {
  for (const [doc, expected] of [[{}, 300_000], [{ hub: { tunnel: { resumeWindow: '90s' } } }, 90_000], [{ hub: { tunnel: { port: 15090, resumeWindow: '1h' } } }, 3_600_000]] as const) {
    const config = validateConfig(doc).hub;
    const tunnel = hubTunnelService({ state: STATE, config, clock: realClock, logger: silentLogger, wss: false });
    assert.equal(tunnel.resumeWindowMs, expected, JSON.stringify(doc));
    tunnel.server.close();
  }
  const config = validateConfig({ hub: { tunnel: { resumeWindow: '90s' } } }).hub;
  const tunnel = hubTunnelService({ state: STATE, config, clock: realClock, logger: silentLogger, resumeWindowMs: 1000 });
  assert.equal(tunnel.resumeWindowMs, 1000, 'an explicit option wins over the configuration');
  tunnel.server.close();
});

test("the agent learns the hub's resume window at the handshake, keeps it on resume, and takes a restarted hub's new one", async () => {
  const h = await connectedPair({ resumeWindowMs: 90_000 });
  assert.equal(h.client.session.resumeWindowMs, 90_000);
  h.pipe.cut();
  h.clock.advance(3000); // dead path
  await settle();
  h.clock.advance(250); // first reconnect: RESUME(ACK) carries no window
  await settle();
  assert.equal(h.client.stats().resumes, 1);
  assert.equal(h.client.session.resumeWindowMs, 90_000);
  h.pipe.cut();
  h.clock.advance(3000);
  await settle();
  h.server = new TunnelServer({ clock: h.clock, identity: 'hub', resumeWindowMs: 30_000 }); // restarted with another setting
  h.clock.advance(1000);
  await settle();
  assert.equal(h.client.state, 'open');
  assert.equal(h.client.session.resumeWindowMs, 30_000);
  h.client.close();
});
