/**
 * `hub.pbx: builtin` from a hub.yaml, outside the demo (issue 12): `sbc-agent hub` lists the
 * built-in PBX's listener and it is a registrar of the routing model: a phone registering to
 * `hub.builtinPbx` directly (SIPp) gets 200 with the model's password and its own flow as the
 * binding's source; with a wrong password it does not.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { CliProcess } from '../support/integ-process.js';
import { SCENARIOS, spawnCollect } from '../support/pnp-e2e.js';

const PASSWORD = 'Builtin-Pw-201';
let dir: string;
let hub: CliProcess;
let pbxPort: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-hub-builtin-'));
  pbxPort = await freePort();
  await writeFile(join(dir, 'routing.yaml'), `version: 1\nrealm: builtin.test\nextensions:\n  - { number: "201", name: A, password: ${PASSWORD} }\n  - { number: "202", name: B, password: Other-Pw-202 }\n`);
  await writeFile(join(dir, 'hub.yaml'), `log:
  level: warn
hub:
  enrollment: { listen: 127.0.0.1 }
  tunnel: { listen: 127.0.0.1, port: ${await freePort()} }
  wss: { listen: 127.0.0.1, port: ${await freePort()} }
  pbx: builtin
  builtinPbx: { listen: 127.0.0.1, port: ${pbxPort}, media: { ports: { min: 43100, max: 43199 } } }
  sip: { port: ${await freePort()} }
  media: { ports: { min: 43200, max: 43299 } }
  routing: routing.yaml
  admin: { enabled: false }
`);
  hub = new CliProcess(['hub', '--config', join(dir, 'hub.yaml'), '--state-dir', join(dir, 'state'), '--enroll-port', '0']);
  await hub.waitForOutput(/^hub: ready$/m, 30_000);
});

after(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function register(password: string, port: number): Promise<{ code: number | null; trace: string }> {
  const log = join(dir, `sipp-${port}.log`);
  const run = spawnCollect('sipp', [
    `127.0.0.1:${pbxPort}`, '-sf', join(SCENARIOS, 'local-register.xml'), '-s', '201', '-au', '201', '-ap', password, '-key', 'expires', '120',
    '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '15s', '-trace_msg', '-message_file', log,
  ]);
  return run.done.then((f) => ({ code: f.code, trace: existsSync(log) ? readFileSync(log, 'utf8') : `${f.stdout}\n${f.stderr}` }));
}

test('the hub lists its built-in PBX and the call path toward it', () => {
  assert.match(hub.stdout, new RegExp(`^hub: builtin-pbx 127\\.0\\.0\\.1:${pbxPort}$`, 'm'));
  assert.match(hub.stdout, /^hub: sip-pbx 127\.0\.0\.1:\d+$/m);
});

test('a phone registers to the built-in PBX directly with the model\'s password; its own flow is the binding\'s source', async () => {
  const port = await freePort();
  const r = await register(PASSWORD, port);
  assert.equal(r.code, 0, `${r.trace.slice(-2000)}\n${hub.stderr.slice(-2000)}`);
  let last = '';
  for (let i = 0; i < 50; i++) {
    const status = JSON.parse(readFileSync(join(dir, 'state', 'hub', 'status.json'), 'utf8')) as { parts?: { builtinPbx?: { registrations: { extension: string; source: string }[] } } };
    last = JSON.stringify(status.parts?.builtinPbx);
    if (status.parts?.builtinPbx?.registrations.some((b) => b.extension === '201' && b.source === `UDP 127.0.0.1:${port}`) === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no binding of 201 from port ${port}: ${last}`);
});

test('a wrong password gets no 200', async () => {
  const r = await register('wrong', await freePort());
  assert.notEqual(r.code, 0, r.trace.slice(-2000));
  assert.doesNotMatch(r.trace, /SIP\/2\.0 200 OK/);
});
