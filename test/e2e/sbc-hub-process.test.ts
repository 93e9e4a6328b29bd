/**
 * The real `sbc-agent hub` process: with `hub.pbx` configured it starts the call path (a SIP
 * listener toward the PBX, shown as `sip-pbx` on the start-up lines); without it, it runs as a
 * tunnel hub only. Loopback only, ports from the test's range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** Runs the hub until `hub: ready` (or its exit), stops it by pid, and returns what it printed. */
async function startupLines(yaml: string, base: number): Promise<{ code: number | null; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-hub-'));
  try {
    writeFileSync(join(dir, 'hub.yaml'), yaml.replaceAll('BASE', String(base)));
    const child = spawn(process.execPath, [MAIN, 'hub', '--config', join(dir, 'hub.yaml'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1', '--enroll-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('hub: ready')) resolve();
      });
      void exited.then(() => resolve());
    });
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    return { code: await exited, out, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TUNNEL = `log:
  level: warn
hub:
  tunnel: { listen: 127.0.0.1, port: BASE }
  wss: { listen: 127.0.0.1, port: 1BASE }
`.replace('1BASE', 'WSS');

test('with hub.pbx configured the hub process starts the call path (sip-pbx listener)', { timeout: 30_000 }, async () => {
  const yaml = `${TUNNEL.replace('WSS', '22101')}  pbx: { host: 127.0.0.1, port: 22160, transport: udp }
  sip: { listen: 127.0.0.1, port: 0 }
  media: { ports: { min: 22200, max: 22299 } }
`;
  const r = await startupLines(yaml, 22100);
  assert.match(r.out, /^hub: sip-pbx 127\.0\.0\.1:\d+$/m, `${r.out}\n${r.err}`);
  assert.match(r.out, /^hub: tunnel 127\.0\.0\.1:22100$/m);
  assert.equal(r.code, 0, r.err);
});

test('without hub.pbx the hub process carries no calls (no sip-pbx listener)', { timeout: 30_000 }, async () => {
  const r = await startupLines(TUNNEL.replace('WSS', '22111'), 22110);
  assert.match(r.out, /hub: ready/, `${r.out}\n${r.err}`);
  assert.doesNotMatch(r.out, /sip-pbx/);
  assert.equal(r.code, 0, r.err);
});

test('a bad call-path field stops the hub with the field named', { timeout: 30_000 }, async () => {
  const yaml = `${TUNNEL.replace('WSS', '22121')}  pbx: { host: 127.0.0.1 }
  sip: { listen: 0.0.0.0 }
`;
  const r = await startupLines(yaml, 22120);
  assert.notEqual(r.code, 0);
  assert.match(r.err + r.out, /hub\.sip\.listen/);
});
