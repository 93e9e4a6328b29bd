/**
 * `sbc-agent capture` end to end on 127.0.0.1: the command reads the token file and agent.yaml's
 * admin port, asks POST /api/capture of an agent admin server whose UDP sockets (src/net
 * bindUdp, as the SIP transport and the media relay use them) carry a call with a phone (a plain
 * node:dgram socket, so each datagram is recorded once, at the agent), and writes the pcap; tshark
 * reads the call's INVITE/200/ACK/BYE/200 and its RTP both ways, and with --call nothing of a
 * second call. The API's bad input (400 naming the field) and a second capture at once (409).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { realClock, silentLogger } from '../../src/core/index.js';
import { AGENT_METRICS, AdminEvents, AdminMetrics, AdminServer, AgentWatch, agentMetrics, agentRouter, loadPages, type AgentAdminSource } from '../../src/admin/index.js';
import { captureFor, captureRunning } from '../../src/capture/index.js';
import { captureCommand } from '../../src/cli/capture.js';
import { bindUdp, type DatagramSocket } from '../../src/net/index.js';
import { captureIo } from '../support/cli-io.js';

const execFileP = promisify(execFile);
const TOKEN = 'capture-token-0123456789abcdef';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function source(): AgentAdminSource {
  return {
    status: () => Promise.resolve({}),
    tunnel: () => ({ state: 'up', peer: '127.0.0.1:5090' }),
    parts: () => ({ mode: 'normal' }),
    registrations: () => [],
    phones: () => undefined,
    decidePhone: () => Promise.resolve(undefined),
    calls: () => Promise.resolve({ version: 1, side: 'agent', updatedAt: new Date().toISOString(), calls: [] }),
    callFailures: () => 0,
    capture: (request) => captureFor(realClock, request),
  };
}

async function adminServer(): Promise<{ server: AdminServer; port: number; close: () => Promise<void> }> {
  const s = source();
  const events = new AdminEvents(realClock);
  const watch = new AgentWatch({ clock: realClock, events, source: { registrations: s.registrations, calls: s.calls, mode: () => 'normal', onTunnel: () => () => {} }, intervalMs: 60_000 });
  const server = await AdminServer.start({
    clock: realClock, logger: silentLogger, listen: ['127.0.0.1'], port: 0, token: TOKEN,
    router: agentRouter(s, events), events, metrics: await AdminMetrics.create(AGENT_METRICS, () => agentMetrics(s, watch)), pages: await loadPages('agent'),
  });
  return { server, port: server.addresses[0]?.port ?? 0, close: () => server.close() };
}

function received(socket: Socket | DatagramSocket): Buffer[] {
  const got: Buffer[] = [];
  if ('onMessage' in socket) socket.onMessage((d) => got.push(d));
  else socket.on('message', (d: Buffer) => got.push(d));
  return got;
}

function sipMessage(first: string, callId: string, cseq: string, body = ''): Buffer {
  return Buffer.from(`${first}\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-${cseq.replace(' ', '-')}-${callId}\r\nFrom: <sip:101@127.0.0.1>;tag=a\r\nTo: <sip:102@127.0.0.1>${first.startsWith('INVITE') ? '' : ';tag=b'}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\nContact: <sip:101@127.0.0.1>\r\nMax-Forwards: 70\r\n${body === '' ? '' : 'Content-Type: application/sdp\r\n'}Content-Length: ${body.length}\r\n\r\n${body}`);
}

function sdp(port: number): string {
  return `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
}

function rtp(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await sleep(10);
  assert.ok(ok(), what);
}

/** One call between a phone (node:dgram) and the agent's sockets, plus a second call's INVITE. */
async function playCall(): Promise<{ agentRtpPort: number; phoneRtpPort: number; close: () => Promise<void> }> {
  const agentSip = await bindUdp({ address: '127.0.0.1', port: 0 });
  const agentRtp = await bindUdp({ address: '127.0.0.1', port: 0 });
  const phoneSip = createSocket('udp4');
  const phoneRtp = createSocket('udp4');
  await new Promise<void>((r) => phoneSip.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => phoneRtp.bind(0, '127.0.0.1', r));
  const atAgent = received(agentSip);
  const atPhone = received(phoneSip);
  const rtpAtAgent = received(agentRtp);
  const rtpAtPhone = received(phoneRtp);
  const toAgent = (b: Buffer): void => phoneSip.send(b, agentSip.local.port, '127.0.0.1');
  const toPhone = (b: Buffer): void => agentSip.send(b, phoneSip.address().port, '127.0.0.1');
  const phoneRtpPort = phoneRtp.address().port;
  toAgent(sipMessage('INVITE sip:102@127.0.0.1 SIP/2.0', 'call-one', '1 INVITE', sdp(phoneRtpPort)));
  toAgent(sipMessage('INVITE sip:103@127.0.0.1 SIP/2.0', 'call-two', '1 INVITE', sdp(phoneRtpPort + 2)));
  await until('the INVITEs reached the agent', () => atAgent.length === 2);
  toPhone(sipMessage('SIP/2.0 200 OK', 'call-one', '1 INVITE', sdp(agentRtp.local.port)));
  await until('the 200 reached the phone', () => atPhone.length === 1);
  toAgent(sipMessage('ACK sip:102@127.0.0.1 SIP/2.0', 'call-one', '1 ACK'));
  for (let i = 0; i < 5; i++) {
    phoneRtp.send(rtp(i, 0x1111), agentRtp.local.port, '127.0.0.1');
    agentRtp.send(rtp(i, 0x2222), phoneRtpPort, '127.0.0.1');
    await sleep(20);
  }
  await until('the RTP arrived both ways', () => rtpAtAgent.length === 5 && rtpAtPhone.length === 5);
  toAgent(sipMessage('BYE sip:102@127.0.0.1 SIP/2.0', 'call-one', '2 BYE'));
  await until('the BYE reached the agent', () => atAgent.length === 4);
  toPhone(sipMessage('SIP/2.0 200 OK', 'call-one', '2 BYE'));
  await until('the 200 to the BYE reached the phone', () => atPhone.length === 2);
  return {
    agentRtpPort: agentRtp.local.port,
    phoneRtpPort,
    close: async () => {
      await agentSip.close();
      await agentRtp.close();
      phoneSip.close();
      phoneRtp.close();
    },
  };
}

async function tshark(file: string, args: readonly string[]): Promise<string[]> {
  const { stdout } = await execFileP('tshark', ['-r', file, ...args]);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

for (const filtered of [false, true]) {
  test(`sbc-agent capture${filtered ? ' --call' : ''}: the pcap opens in tshark with the call's SIP and RTP`, { timeout: 30_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sbc-capture-'));
    const admin = await adminServer();
    t.after(async () => {
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(dir, 'admin-token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'agent.yaml'), `agent:\n  admin:\n    port: ${admin.port}\n`);
    const out = join(dir, 'call.pcap');
    const io = captureIo();
    const done = captureCommand.run(['--config', join(dir, 'agent.yaml'), '--state-dir', dir, '--seconds', '2', '--out', out, ...(filtered ? ['--call', 'call-one'] : [])], io.io);
    await until('the capture started', () => captureRunning());
    const call = await playCall();
    t.after(call.close);
    assert.equal(await done, 0, io.err());
    assert.match(io.out(), /capture: .*call\.pcap \(\d+ bytes\)/);
    assert.equal(readFileSync(out).readUInt32LE(0), 0xa1b2c3d4);

    const sip = await tshark(out, ['-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code']);
    const oneCall = ['call-one\tINVITE\t', 'call-one\t\t200', 'call-one\tACK\t', 'call-one\tBYE\t', 'call-one\t\t200'];
    assert.deepEqual(sip, filtered ? oneCall : ['call-one\tINVITE\t', 'call-two\tINVITE\t', ...oneCall.slice(1)]);
    const rtpLines = await tshark(out, ['-d', `udp.port==${call.agentRtpPort},rtp`, '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.ssrc', '-e', 'rtp.seq', '-e', 'udp.srcport', '-e', 'udp.dstport']);
    const bySsrc = (ssrc: string): string[] => rtpLines.filter((l) => l.startsWith(ssrc));
    assert.equal(bySsrc('0x00001111').length, 5, rtpLines.join('\n'));
    assert.equal(bySsrc('0x00002222').length, 5, rtpLines.join('\n'));
    assert.deepEqual(bySsrc('0x00001111').map((l) => l.split('\t').slice(1)), [0, 1, 2, 3, 4].map((s) => [String(s), String(call.phoneRtpPort), String(call.agentRtpPort)]));
    // tshark validates the computed checksums when asked: none is bad.
    const bad = await tshark(out, ['-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'udp.checksum.status == 0 || ip.checksum.status == 0']);
    assert.deepEqual(bad, []);
  });
}

test('POST /api/capture: 400 naming the field; a second capture while one runs is 409; no capture leaves the tap unset', { timeout: 20_000 }, async (t) => {
  const admin = await adminServer();
  t.after(admin.close);
  const post = (body: string): Promise<Response> => fetch(`http://127.0.0.1:${admin.port}/api/capture`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body });
  const bad: [string, string][] = [
    ['{}', 'seconds'],
    ['{"seconds":0}', 'seconds'],
    ['{"seconds":301}', 'seconds'],
    ['{"seconds":1.5}', 'seconds'],
    ['{"seconds":"5"}', 'seconds'],
    ['{"seconds":1,"callId":""}', 'callId'],
    ['{"seconds":1,"callId":"a b"}', 'callId'],
    ['{"seconds":1,"callId":5}', 'callId'],
    ['[1]', 'body'],
  ];
  for (const [body, field] of bad) {
    const res = await post(body);
    assert.equal(res.status, 400, body);
    assert.equal(((await res.json()) as { error: { field: string } }).error.field, field, body);
  }
  const unauthorized = await fetch(`http://127.0.0.1:${admin.port}/api/capture`, { method: 'POST', body: '{"seconds":1}' });
  assert.equal(unauthorized.status, 401);
  const first = post('{"seconds":1}');
  await until('the capture started', () => captureRunning());
  const second = await post('{"seconds":1}');
  assert.equal(second.status, 409);
  const res = await first;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
  assert.equal(Buffer.from(await res.arrayBuffer()).length >= 24, true);
  assert.equal(captureRunning(), false);
});
