/**
 * `sbc-agent sip-check` as a process, over every torture file, against the same expectation
 * table as the vector test. RFC 5118 files are written in wire form (LF → CRLF, Content-Length
 * recomputed) to a temporary directory first, since the command reads datagram bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TORTURE_EXPECTATIONS, listTortureFiles, tortureWireBytes, type TortureExpectation } from '../../support/torture-expectations.js';

/**
 * Where sip-check, judging as the proxy the SBC is, differs from the UAS expectations of the vector
 * test: a proxy relays a body of any type, does not check Accept, and judges Proxy-Require, not
 * Require (RFC 3261 §16.3; bext01 carries both, so it stays 420).
 */
const AS_PROXY: Readonly<Record<string, TortureExpectation>> = { 'rfc4475/invut.dat': 'valid', 'rfc4475/sdp01.dat': 'valid' };

/** main.js of the same build folder as this test (dist/ or dist-NAME/). */
const MAIN = fileURLToPath(new URL('../../../src/main.js', import.meta.url));

function sipCheck(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'sip-check', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Line {
  file: string;
  valid: boolean;
  status?: number;
  dropped?: boolean;
  reason?: string;
}

function isLine(value: unknown): value is Line {
  return typeof value === 'object' && value !== null && 'file' in value && 'valid' in value;
}

test('sip-check --json over every torture file gives the expected verdicts, exit 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
  try {
    const files = listTortureFiles();
    const paths = files.map((file) => {
      const path = join(dir, file.replace('/', '-'));
      writeFileSync(path, tortureWireBytes(file));
      return path;
    });
    const r = sipCheck(['--json', ...paths]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l): unknown => JSON.parse(l));
    assert.equal(lines.length, files.length);
    files.forEach((file, i) => {
      const line = lines[i];
      assert.ok(isLine(line));
      assert.equal(line.file, paths[i]);
      const expected = AS_PROXY[file] ?? TORTURE_EXPECTATIONS[file];
      if (expected === 'valid') assert.equal(line.valid, true, `${file}: ${line.reason ?? ''}`);
      else if (expected === 'drop') assert.deepEqual([line.valid, line.dropped, line.status], [false, true, undefined], file);
      else {
        assert.deepEqual([line.valid, line.status], [false, expected], file);
        assert.ok((line.reason ?? '').length > 0, `${file} has a reason`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sip-check text output names the method and Call-ID, or the status and reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
  try {
    const wsinv = join(dir, 'wsinv.dat');
    const unkscm = join(dir, 'unkscm.dat');
    const bigcode = join(dir, 'bigcode.dat');
    writeFileSync(wsinv, tortureWireBytes('rfc4475/wsinv.dat'));
    writeFileSync(unkscm, tortureWireBytes('rfc4475/unkscm.dat'));
    writeFileSync(bigcode, tortureWireBytes('rfc4475/bigcode.dat'));
    const r = sipCheck([wsinv, unkscm, bigcode]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `${wsinv}: valid request INVITE, Call-ID wsinv.ndaksdj@192.0.2.1`,
      `${unkscm}: would be rejected with 416 Unsupported URI Scheme`,
      `${bigcode}: malformed response, would be dropped (Invalid status code)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sip-check: an unreadable file gives exit 4 and the other files are still checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
  try {
    const ok = join(dir, 'ok.dat');
    writeFileSync(ok, tortureWireBytes('rfc4475/noreason.dat'));
    const r = sipCheck(['--json', join(dir, 'missing.dat'), ok]);
    assert.equal(r.status, 4);
    assert.match(r.stderr, /cannot read .*missing\.dat/);
    const line: unknown = JSON.parse(r.stdout.trim());
    assert.ok(isLine(line));
    assert.equal(line.file, ok);
    assert.equal(line.valid, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sip-check without files is a usage error (exit 2)', () => {
  const r = sipCheck([]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Usage: sbc-agent sip-check/);
});

test('sip-check relays any body type as a proxy: a NOTIFY with application/dialog-info+xml is valid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
  try {
    const body = '<?xml version="1.0"?>\r\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:201@pbx"/>\r\n';
    const notify = [
      'NOTIFY sip:phone@192.0.2.10:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-blf-1',
      'Max-Forwards: 70',
      'From: <sip:201@pbx>;tag=a1',
      'To: <sip:phone@pbx>;tag=b2',
      'Call-ID: blf-1@192.0.2.1',
      'CSeq: 2 NOTIFY',
      'Event: dialog',
      'Subscription-State: active;expires=3600',
      'Content-Type: application/dialog-info+xml',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const file = join(dir, 'notify.dat');
    writeFileSync(file, notify);
    const r = sipCheck([file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${file}: valid request NOTIFY, Call-ID blf-1@192.0.2.1`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sip-check reads no more than the largest SIP message: a bigger file and /dev/zero are too large', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
  try {
    const big = join(dir, 'big.dat');
    writeFileSync(big, Buffer.alloc(10 * 1024 * 1024, 0x41));
    const started = Date.now();
    const r = sipCheck(['--json', big, '/dev/zero']);
    assert.ok(Date.now() - started < 10_000, '/dev/zero is not read to its (missing) end');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l): unknown => JSON.parse(l));
    assert.deepEqual(lines, [big, '/dev/zero'].map((file) => ({ file, valid: false, dropped: true, reason: 'too large: more than 65535 bytes, the largest SIP message the SBC takes' })));
    assert.match(sipCheck([big]).stdout, /big\.dat: too large: more than 65535 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
