/**
 * Helpers for the plug-and-play end-to-end tests: network namespaces that the test creates and
 * removes (multicast on loopback needs a route for 224.0.0.0/4 that the host's namespace does
 * not have: there it leaves by the default interface), the `sbc-agent pnp` process, the
 * `sbc-agent phones` command, SIPp runs and scripted phones.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import type { PhoneReport, PhoneScript } from './pnp-phone.js';

/** The build this test file belongs to (dist/ or dist-NAME/). */
export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const PHONE_JS = fileURLToPath(new URL('./pnp-phone.js', import.meta.url));
/** SIPp scenarios are read from the source tree (tsc does not copy XML). */
export const SCENARIOS = join(REPO_ROOT, 'test', 'support');

export function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function spawnCollect(cmd: string, args: readonly string[], cwd?: string): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** A namespace with loopback up and multicast routed to it. */
export function createNamespace(name: string): void {
  run('ip', ['netns', 'add', name]);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'multicast', 'on']);
  run('ip', ['-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
}

export function removeNamespace(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
}

export interface PnpProcess {
  /** SIGTERM, then the process's output and its final counters. */
  stop(): Promise<Finished & { stats: Record<string, number> }>;
}

export async function startPnp(ns: string, args: readonly string[]): Promise<PnpProcess> {
  const { child, done } = spawnCollect('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'pnp', ...args]);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('pnp: ready')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    void done.then((f) => reject(new Error(`sbc-agent pnp exited ${f.code}: ${f.stderr}`)));
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      const f = await done;
      const last = f.stdout.trim().split('\n').at(-1) ?? '{}';
      const parsed = JSON.parse(last) as { pnp?: Record<string, number> };
      return { ...f, stats: parsed.pnp ?? {} };
    },
  };
}

/**
 * A phone's SUBSCRIBE to the PnP group as PhoneScript lines ({ip} and {port} become the phone's
 * own): request line, Via, From, To, Call-ID and CSeq for MAC`mac`, then `headers`, then
 * Content-Length: 0.
 */
export function groupSubscribe(mac: string, headers: readonly string[]): string[] {
  return [
    `SUBSCRIBE sip:MAC${mac}@224.0.1.75 SIP/2.0`,
    'Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK{port};rport',
    `From: <sip:MAC${mac}@224.0.1.75>;tag={port}`,
    `To: <sip:MAC${mac}@224.0.1.75>`,
    'Call-ID: {port}@{ip}',
    'CSeq: 1 SUBSCRIBE',
    ...headers,
    'Content-Length: 0',
  ];
}

/** `sbc-agent phones ...` (reads and writes the inbox file; needs no namespace). */
export function phones(args: readonly string[]): string {
  return run(process.execPath, [MAIN, 'phones', ...args]);
}

export async function runPhone(ns: string, script: PhoneScript): Promise<PhoneReport> {
  const { done } = spawnCollect('ip', ['netns', 'exec', ns, process.execPath, PHONE_JS, JSON.stringify(script)]);
  const f = await done;
  if (f.code !== 0) throw new Error(`pnp-phone exited ${f.code}: ${f.stderr}`);
  return JSON.parse(f.stdout.trim()) as PhoneReport;
}

export interface SippMessage {
  readonly direction: 'sent' | 'received';
  readonly text: string;
}

/** SIP messages in a SIPp -trace_msg file, in order. */
export function sippMessages(log: string): SippMessage[] {
  const out: SippMessage[] = [];
  for (const chunk of log.split(/^-{10,}[^\n]*\n/m)) {
    const m = /^\s*UDP message (sent|received)[^\n]*\n\s*\n?([\s\S]*)$/.exec(chunk);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    out.push({ direction: m[1] === 'sent' ? 'sent' : 'received', text: m[2].replace(/\n+$/, '\n') });
  }
  return out;
}

export interface SippPhone {
  readonly ruri: string;
  readonly from: string;
  readonly contactUser: string;
  readonly event: string;
  readonly ua: string;
}

/** One phone's boot as one SIPp run (-m 1) inside `ns`, sending to the group. */
export function sippPhone(ns: string, scenario: string, phone: SippPhone, groupPort: number, port: number, dir: string): { log: string; done: Promise<Finished> } {
  const log = join(dir, `sipp-${port}.log`);
  const { done } = spawnCollect('ip', [
    'netns', 'exec', ns, 'sipp', `224.0.1.75:${groupPort}`, '-sf', join(SCENARIOS, scenario),
    '-key', 'ruri', phone.ruri, '-key', 'from', phone.from, '-key', 'contact_user', phone.contactUser,
    '-key', 'event', phone.event, '-key', 'ua', phone.ua,
    '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '30s', '-trace_msg', '-message_file', log,
  ], dir);
  return { log, done };
}
