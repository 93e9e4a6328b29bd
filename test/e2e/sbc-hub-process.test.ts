/**
 * The real `sbc-agent hub` process: with `hub.pbx` configured it starts the call path (a SIP
 * listener toward the PBX, shown as `sip-pbx` on the start-up lines); without it, it runs as a
 * tunnel hub only. And the real processes carry a request end to end: `sbc-agent hub` with a
 * PBX (a SIPp UAS), an agent enrolled by the CLI and run by `sbc-agent run`, a SIPp UAC as the
 * phone. Loopback only, ports from the test's range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CliProcess, runCli } from '../support/integ-process.js';
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

const UAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="pbx">
  <recv request="MESSAGE"/>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:];tag=[pid]pbx
    [last_Call-ID:]
    [last_CSeq:]
    Content-Length: 0

  ]]></send>
</scenario>
`;
const UAC = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
  <send retrans="500"><![CDATA[
    MESSAGE sip:2000@pbx.test SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:1001@[local_ip]>;tag=[pid]m[call_number]
    To: <sip:2000@pbx.test>
    Call-ID: [call_id]
    CSeq: 1 MESSAGE
    Max-Forwards: 70
    Content-Type: text/plain
    Content-Length: [len]

    hello through the tunnel
  ]]></send>
  <recv response="200"/>
</scenario>
`;

function sipp(dir: string, name: string, args: string[]): Promise<{ code: number | null; trace: string }> {
  const log = join(dir, `${name}.log`);
  const child = spawn('sipp', [...args, '-nostdin', '-timeout', '10s', '-trace_msg', '-message_file', log], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => {
    let trace = '';
    try {
      trace = readFileSync(log, 'utf8');
    } catch {
      // no message was traced
    }
    resolve({ code, trace });
  }));
}

test('the real hub with hub.pbx and an enrolled agent run by `sbc-agent run` carry a phone\'s MESSAGE to the PBX and its answer back', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-hub-call-'));
  const procs: CliProcess[] = [];
  try {
    writeFileSync(join(dir, 'hub.yaml'), `log:
  level: warn
hub:
  enrollment: { listen: 127.0.0.1 }
  tunnel: { listen: 127.0.0.1, port: 22130 }
  wss: { listen: 127.0.0.1, port: 22131 }
  pbx: { host: 127.0.0.1, port: 22140, probeInterval: 0s }
  sip: { listen: 127.0.0.1, port: 22141 }
  media: { ports: { min: 22200, max: 22299 } }
`);
    writeFileSync(join(dir, 'uas.xml'), UAS);
    writeFileSync(join(dir, 'uac.xml'), UAC);
    const hubState = join(dir, 'hub');
    const agentState = join(dir, 'agent');
    const hub = new CliProcess(['hub', '--config', join(dir, 'hub.yaml'), '--state-dir', hubState, '--enroll-port', '0']);
    procs.push(hub);
    const enroll = await hub.waitForOutput(/hub: enrollment https:\/\/127\.0\.0\.1:(\d+)\/enroll\//, 20_000);
    await hub.waitForOutput(/hub: sip-pbx 127\.0\.0\.1:22141/, 5_000);
    const added = await runCli(['hub', 'add-sbc', '--name', 'branch-1', '--state-dir', hubState, '--url-host', `127.0.0.1:${enroll[1] ?? ''}`, '--json']);
    assert.equal(added.code, 0, added.stderr);
    const key = JSON.parse(added.stdout) as { url: string; key: string; fingerprint: string };
    const enrolled = await runCli(['enroll', '--url', key.url, '--key', key.key, '--fingerprint', key.fingerprint, '--state-dir', agentState]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const agent = new CliProcess(['run', '--lan', '127.0.0.1', '--sip-port', '22150', '--media-ports', '22300-22399', '--state-dir', agentState]);
    procs.push(agent);
    await agent.waitForOutput(/run: SBC 'branch-1'/, 20_000);
    const pbx = sipp(dir, 'pbx', ['-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', '22140', '-m', '1']);
    // The tunnel comes up after the start-up line: a 503 (Tunnel Down) before it is retried, a bounded number of times.
    let phone = { code: -1 as number | null, trace: '' };
    for (let i = 0; i < 10 && phone.code !== 0; i++) {
      phone = await sipp(dir, `phone-${i}`, ['-sf', join(dir, 'uac.xml'), '127.0.0.1:22150', '-i', '127.0.0.1', '-p', '22160', '-m', '1']);
      if (phone.code !== 0) await new Promise((r) => setTimeout(r, 1000));
    }
    const atPbx = await pbx;
    assert.equal(phone.code, 0, `${phone.trace.slice(-2000)}\nagent: ${agent.stderr.slice(-1500)}\nhub: ${hub.stderr.slice(-1500)}`);
    assert.equal(atPbx.code, 0, atPbx.trace.slice(-2000));
    assert.match(atPbx.trace, /MESSAGE sip:2000@pbx\.test SIP\/2\.0[\s\S]*hello through the tunnel/);
    const received = /MESSAGE sip:[\s\S]*?hello through the tunnel/.exec(atPbx.trace)?.[0] ?? '';
    assert.match(received, /Via: SIP\/2\.0\/UDP 127\.0\.0\.1:22141/, 'the PBX sees the hub');
    assert.match(received, /Call-ID: sbc1-/, 'the phone\'s Call-ID stays in the LAN');
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
