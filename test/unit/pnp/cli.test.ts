import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { InboxFile, PhoneInbox, ProvisioningRelay, decide, folderUpstream } from '../../../src/pnp/index.js';
import { runProgram } from '../../../src/program.js';
import { captureIo } from '../../support/cli-io.js';

test('sbc-agent phones: empty list, approve with extension, reject, JSON and table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-cli-'));
  try {
    const empty = captureIo();
    assert.equal(await runProgram(['phones', '--state-dir', dir], empty.io), 0);
    assert.equal(empty.out(), 'no phones yet\n');
    const a = captureIo();
    assert.equal(await runProgram(['phones', 'approve', '00:15:65:F4:F9:E1', '--extension', '201', '--state-dir', dir], a.io), 0);
    assert.equal(a.out(), '001565f4f9e1: approved (extension 201)\n');
    const r = captureIo();
    assert.equal(await runProgram(['phones', 'reject', 'ip:10.13.2.37', '--state-dir', dir], r.io), 0);
    assert.equal(r.out(), 'ip:10.13.2.37: rejected\n');
    const j = captureIo();
    assert.equal(await runProgram(['phones', '--json', '--state-dir', dir], j.io), 0);
    const list = JSON.parse(j.out()) as Array<{ id: string; state: string; extension?: string }>;
    assert.deepEqual(list.map((p) => [p.id, p.state, p.extension]).sort(), [['001565f4f9e1', 'approved', '201'], ['ip:10.13.2.37', 'rejected', undefined]]);
    const t = captureIo();
    assert.equal(await runProgram(['phones', '--state-dir', dir], t.io), 0);
    assert.match(t.out(), /^PHONE\s+STATE\s+BRAND/);
    assert.match(t.out(), /001565f4f9e1\s+approved\s+unknown/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const USAGE_ERRORS: ReadonlyArray<readonly string[]> = [
  ['phones', 'approve'],
  ['phones', 'approve', 'xyz'],
  ['phones', 'approve', '001565f4f9e1', '--extension', 'abc'],
  ['phones', 'reject', '001565f4f9e1', '--extension', '1'],
  ['phones', 'frobnicate'],
  ['pnp', '--policy', 'sometimes'],
  ['pnp', '--port', '70000'],
  ['pnp', '--listen', 'no-such-if0'],
  ['pnp', '--upstream', 'ftp://x', '--listen', '127.0.0.1'],
];

for (const argv of USAGE_ERRORS) {
  test(`usage error (exit 2): ${argv.join(' ')}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnp-cli-'));
    try {
      const t = captureIo();
      assert.equal(await runProgram([...argv, '--state-dir', dir], t.io), 2);
      assert.match(t.err(), /^sbc-agent /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('local template folder: placeholders filled per phone (no registrar rewriting), nothing outside the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-tmpl-'));
  try {
    const templates = join(dir, 'templates');
    mkdirSync(templates);
    writeFileSync(join(templates, '001565f4f9e1.cfg'), 'account.1.user_name = {{extension}}\naccount.1.sip_server.1.address = {{agent}}:{{sip_port}}\n# {{mac}} {{unknown}}\n');
    writeFileSync(join(dir, 'secret.cfg'), 'no');
    const clock = new ManualClock();
    const file = new InboxFile(join(dir, 'state'), clock);
    await file.update((d) => decide(d, '001565f4f9e1', 'approved', '201'));
    const inbox = new PhoneInbox(file, 'inbox', clock, silentLogger);
    inbox.reload();
    const relay = new ProvisioningRelay({ upstream: folderUpstream(templates), inbox, clock, log: silentLogger, templates: true, sipPort: 5062 });
    const req = (target: string) => relay.handle({ method: 'GET', target, headers: {}, remote: { address: '10.0.0.9', port: 1, family: 'IPv4' }, local: { address: '10.0.0.1', port: 8080, family: 'IPv4' } });
    const r = await req('/001565f4f9e1.cfg');
    assert.equal(r.status, 200);
    assert.equal(r.body?.toString(), 'account.1.user_name = 201\naccount.1.sip_server.1.address = 10.0.0.1:5062\n# 001565f4f9e1 {{unknown}}\n');
    assert.equal((await req('/001565f4f9e1-missing.cfg')).status, 404);
    assert.equal((await folderUpstream(templates).fetch('../secret.cfg', '')).status, 404);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
