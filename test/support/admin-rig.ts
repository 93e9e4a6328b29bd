/**
 * Real processes for the admin tests, on 127.0.0.1 only: `sbc-agent hub` with a PBX (a SIPp UAS
 * that answers REGISTER 200), an agent added through the hub's admin API (`POST /api/sbcs`),
 * enrolled by `sbc-agent enroll` with what it answered, and run by `sbc-agent run`; both admin
 * servers on free ports. `register()` sends a phone's REGISTER (SIPp UAC) through the agent.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { CliProcess, MAIN, type CliResult } from './integ-process.js';
import { createNamespace, removeNamespace } from './pnp-e2e.js';

/**
 * The PBX: a registrar (REGISTER → 200) and a callee (INVITE → 200 with G.711 SDP, RTP from
 * rtp_stream, BYE → 200) in one SIPp scenario: a new call that starts with REGISTER takes the
 * registrar branch.
 */
const SDP = `v=0
    o=- 1 1 IN IP4 [media_ip]
    s=-
    c=IN IP4 [media_ip]
    t=0 0
    m=audio [rtpstream_audio_port] RTP/AVP 8
    a=rtpmap:8 PCMA/8000
    a=ptime:20
`;

const UAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="pbx">
  <recv request="REGISTER" optional="true" next="register"/>
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:];tag=[pid]pbx[call_number]
    [last_Call-ID:]
    [last_CSeq:]
    [last_Record-Route:]
    Contact: <sip:2000@[local_ip]:[local_port]>
    Content-Type: application/sdp
    Content-Length: [len]

    ${SDP}
  ]]></send>
  <recv request="ACK"/>
  <nop><action><exec rtp_stream="[tone],-1,8"/></action></nop>
  <recv request="BYE"/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send next="end"><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:]
    [last_Call-ID:]
    [last_CSeq:]
    Content-Length: 0

  ]]></send>
  <label id="register"/>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:];tag=[pid]reg[call_number]
    [last_Call-ID:]
    [last_CSeq:]
    [last_Contact:];expires=1800
    Expires: 1800
    Content-Length: 0

  ]]></send>
  <label id="end"/>
</scenario>
`;

/** A phone calling 2000 through the agent: G.711 RTP for `-d` ms, then BYE. */
const CALLER = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500"><![CDATA[
    INVITE sip:2000@pbx.test SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:1001@pbx.test>;tag=[pid]c[call_number]
    To: <sip:2000@pbx.test>
    Call-ID: [call_id]
    CSeq: 1 INVITE
    Contact: <sip:1001@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Type: application/sdp
    Content-Length: [len]

    ${SDP}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
    ACK [next_url] SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:1001@pbx.test>;tag=[pid]c[call_number]
    To: <sip:2000@pbx.test>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 1 ACK
    [routes]
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <nop><action><exec rtp_stream="[tone],-1,8"/></action></nop>
  <pause/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send retrans="500"><![CDATA[
    BYE [next_url] SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:1001@pbx.test>;tag=[pid]c[call_number]
    To: <sip:2000@pbx.test>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 2 BYE
    [routes]
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`;

function uac(user: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
  <send retrans="500"><![CDATA[
    REGISTER sip:pbx.test SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:${user}@pbx.test>;tag=[pid]r[call_number]
    To: <sip:${user}@pbx.test>
    Call-ID: [call_id]
    CSeq: 1 REGISTER
    Contact: <sip:${user}@[local_ip]:[local_port]>
    Expires: 60
    Max-Forwards: 70
    User-Agent: SIPp test phone ${user}
    Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`;
}

export interface AdminRig {
  readonly dir: string;
  readonly netns: string | undefined;
  /** The agent's LAN SIP port (also the port of its plug-and-play group socket). */
  readonly agentSip: number;
  readonly hubAdmin: string;
  readonly hubToken: string;
  readonly agentAdmin: string;
  readonly agentToken: string;
  readonly added: { readonly url: string; readonly key: string; readonly fingerprint: string };
  readonly hub: CliProcess;
  readonly agent: CliProcess;
  /** A REGISTER from a SIPp phone through the agent; retried while the tunnel is not up yet. */
  register(user: string): Promise<void>;
  /** A call from a SIPp phone to the PBX through the agent, with RTP both ways for `ms`; SIPp's exit code. */
  call(ms: number): Promise<number | null>;
  close(): Promise<void>;
}

export interface AdminRigOptions {
  /**
   * Run every process inside this network namespace, created here with loopback up, multicast on
   * and 224.0.0.0/4 routed to it (the host's loopback has no multicast), so a phone's plug-and-play
   * SUBSCRIBE to 224.0.1.75 reaches the agent; removed by `close()`. Without it, the host's 127.0.0.1.
   */
  readonly netns?: string;
}

/** `cmd args` as run inside `netns` (`ip netns exec` execs it, so a pid is the program's). */
export function inNetns(netns: string | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  return netns === undefined ? [cmd, [...args]] : ['ip', ['netns', 'exec', netns, cmd, ...args]];
}

function runIn(netns: string | undefined, cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  const [file, argv] = inNetns(netns, cmd, args);
  return new Promise((resolve) => {
    const child = execFile(file, argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** The admin API, called from a short node process in the rig's namespace (the test's own sockets live on the host). */
async function api(netns: string | undefined, base: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const script = `const r = await fetch(process.argv[1], { method: process.argv[2], headers: { Authorization: 'Bearer ' + process.argv[3] }, body: process.argv[4] || undefined });
process.stdout.write(JSON.stringify({ ok: r.ok, status: r.status, text: await r.text() }));`;
  const r = await runIn(netns, process.execPath, ['--input-type=module', '-e', script, `${base}${path}`, method, token, body === undefined ? '' : JSON.stringify(body)]);
  if (r.code !== 0) throw new Error(`${method} ${path}: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as { ok: boolean; status: number; text: string };
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text}`);
  return JSON.parse(res.text);
}

/**
 * The rig, started again on new ports when a port `freePort` found free was taken before the hub
 * or agent bound it (another process on a shared machine, e.g. an outgoing connection's ephemeral port).
 */
export async function startAdminRig(options: AdminRigOptions = {}): Promise<AdminRig> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAdminRigOnce(options);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startAdminRigOnce(options: AdminRigOptions): Promise<AdminRig> {
  const netns = options.netns;
  const dir = mkdtempSync(join(tmpdir(), 'sbc-admin-rig-'));
  const procs: CliProcess[] = [];
  let pbx: ChildProcess | undefined;
  const close = async (): Promise<void> => {
    if (pbx?.pid !== undefined && pbx.exitCode === null) process.kill(pbx.pid, 'SIGTERM');
    for (const p of procs.reverse()) await p.stop();
    if (netns !== undefined) removeNamespace(netns);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (netns !== undefined) createNamespace(netns);
    const [tunnel, wss, pbxPort, hubSip, hubAdminPort, agentAdminPort, agentSip] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'hub.yaml'), `log:
  level: warn
hub:
  enrollment: { listen: 127.0.0.1 }
  tunnel: { listen: 127.0.0.1, port: ${tunnel} }
  wss: { listen: 127.0.0.1, port: ${wss} }
  pbx: { host: 127.0.0.1, port: ${pbxPort}, probeInterval: 0s }
  sip: { listen: 127.0.0.1, port: ${hubSip} }
  media: { ports: { min: 23200, max: 23299 } }
  admin: { listen: 127.0.0.1, port: ${hubAdminPort} }
`);
    writeFileSync(join(dir, 'agent.yaml'), `log:
  level: warn
agent:
  admin: { listen: 127.0.0.1, port: ${agentAdminPort} }
`);
    // 10 s of A-law tone (raw, as SIPp's rtp_stream reads it); any payload would do for the counts.
    const tone = join(dir, 'tone.al');
    writeFileSync(tone, Buffer.alloc(80_000, 0xd5));
    writeFileSync(join(dir, 'uas.xml'), UAS.replaceAll('[tone]', tone));
    writeFileSync(join(dir, 'caller.xml'), CALLER.replaceAll('[tone]', tone));
    const hubState = join(dir, 'hub');
    const agentState = join(dir, 'agent');
    const hub = new CliProcess(['hub', '--config', join(dir, 'hub.yaml'), '--state-dir', hubState, '--enroll-port', '0'], MAIN, netns);
    procs.push(hub);
    await hub.waitForOutput(/hub: admin 127\.0\.0\.1:\d+/, 20_000);
    await hub.waitForOutput(/hub: ready/, 10_000);
    const hubAdmin = `http://127.0.0.1:${hubAdminPort}`;
    const hubToken = readFileSync(join(hubState, 'admin-token'), 'utf8').trim();
    const added = (await api(netns, hubAdmin, hubToken, 'POST', '/api/sbcs', { name: 'branch-1' })) as { url: string; key: string; fingerprint: string };
    const enrolled = await runIn(netns, process.execPath, [MAIN, 'enroll', '--url', added.url, '--key', added.key, '--fingerprint', added.fingerprint, '--state-dir', agentState]);
    if (enrolled.code !== 0) throw new Error(`enroll: ${enrolled.stderr}`);
    const agent = new CliProcess(['run', '--config', join(dir, 'agent.yaml'), '--lan', '127.0.0.1', '--sip-port', String(agentSip), '--media-ports', '23300-23399', '--stun-port', '0', '--state-dir', agentState], MAIN, netns);
    procs.push(agent);
    await agent.waitForOutput(/run: SBC 'branch-1'/, 20_000);
    const agentToken = readFileSync(join(agentState, 'admin-token'), 'utf8').trim();
    pbx = spawn(...inNetns(netns, 'sipp', ['-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', String(pbxPort), '-mi', '127.0.0.1', '-mp', String(await freePort()), '-nostdin']), { stdio: 'ignore' });
    const register = async (user: string): Promise<void> => {
      writeFileSync(join(dir, `uac-${user}.xml`), uac(user));
      for (let i = 0; i < 15; i++) {
        const phonePort = await freePort();
        const code = await new Promise<number | null>((resolve) => {
          const child = spawn(...inNetns(netns, 'sipp', ['-sf', join(dir, `uac-${user}.xml`), `127.0.0.1:${agentSip}`, '-i', '127.0.0.1', '-p', String(phonePort), '-m', '1', '-nostdin', '-timeout', '5s']), { stdio: 'ignore' });
          child.once('exit', (c) => resolve(c));
        });
        if (code === 0) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
      throw new Error(`the REGISTER of ${user} got no 200 through the agent; agent: ${agent.stderr.slice(-1500)} hub: ${hub.stderr.slice(-1500)}`);
    };
    const call = async (ms: number): Promise<number | null> => {
      const phonePort = await freePort();
      const mediaPort = await freePort();
      return new Promise<number | null>((resolve) => {
        const child = spawn(...inNetns(netns, 'sipp', ['-sf', join(dir, 'caller.xml'), `127.0.0.1:${agentSip}`, '-i', '127.0.0.1', '-p', String(phonePort), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-d', String(ms), '-m', '1', '-nostdin', '-timeout', `${Math.ceil(ms / 1000) + 10}s`]), { stdio: 'ignore' });
        child.once('exit', (c) => resolve(c));
      });
    };
    return { dir, netns, agentSip, hubAdmin, hubToken, agentAdmin: `http://127.0.0.1:${agentAdminPort}`, agentToken, added, hub, agent, register, call, close };
  } catch (error) {
    await close();
    throw error;
  }
}
