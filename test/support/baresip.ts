/**
 * A real baresip phone for the end-to-end tests (Debian's baresip-core): headless, plays a WAV tone
 * (aufile), records what it receives (sndfile: dump-*-dec.wav), driven over ctrl_tcp netstrings.
 * Optionally inside a network namespace (`ip netns exec`). Stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export interface BaresipOptions {
  readonly dir: string;
  readonly name: string;
  /** Address the phone binds (SIP, RTP) and writes in its SDP. */
  readonly address: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly rtpPorts: readonly [number, number];
  readonly user: string;
  readonly domain: string;
  readonly password: string;
  /** The outbound proxy, e.g. `sip:10.203.1.1:5060;transport=udp`. */
  readonly outbound: string;
  readonly toneHz: number;
  readonly answer: 'auto' | 'manual';
  readonly netns?: string;
  readonly regint?: number;
  readonly extraModules?: readonly string[];
  /** Length of the tone file (default 60 s): baresip's aufile source ends the call at its end. */
  readonly toneSeconds?: number;
}

export interface BaresipEvent {
  readonly type?: string;
  readonly class?: string;
  readonly param?: string;
  readonly id?: string;
  readonly [key: string]: unknown;
}

/** A 16-bit mono 8 kHz WAV with a sine tone, made with sox. */
export function makeTone(path: string, hz: number, seconds = 60): void {
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', path, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5'], { stdio: 'ignore' });
}

/** Samples (16-bit mono) and rate of a WAV that may still be written (its sizes not yet final). */
export function readGrowingPcmWav(path: string): { samples: Int16Array; rate: number } {
  const data = readFileSync(path);
  let at = 12;
  let rate = 8000;
  while (at + 8 <= data.length) {
    const id = data.toString('latin1', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    if (id === 'fmt ') rate = data.readUInt32LE(at + 12);
    if (id === 'data') {
      at += 8;
      break;
    }
    at += 8 + size;
  }
  const count = Math.max(0, Math.floor((data.length - at) / 2));
  const samples = new Int16Array(count);
  for (let i = 0; i < count; i++) samples[i] = data.readInt16LE(at + i * 2);
  return { samples, rate };
}

/** Dominant frequency of a 16-bit PCM WAV by zero crossings over its loud part (0 when silent). */
export function dominantFrequency(path: string): { hz: number; seconds: number } {
  const { samples, rate } = readGrowingPcmWav(path);
  const loud = samples.filter((s) => Math.abs(s) > 2000).length;
  if (samples.length === 0 || loud < samples.length * 0.05) return { hz: 0, seconds: samples.length / rate };
  let crossings = 0;
  let prev = samples[0] ?? 0;
  let counted = 0;
  for (const s of samples) {
    if (Math.abs(s) > 200 || Math.abs(prev) > 200) {
      counted++;
      if ((prev < 0 && s >= 0) || (prev >= 0 && s < 0)) crossings++;
    }
    prev = s;
  }
  return { hz: Math.round(crossings / 2 / (counted / rate)), seconds: samples.length / rate };
}

export class BaresipPhone {
  readonly options: BaresipOptions;
  readonly child: ChildProcess;
  readonly events: BaresipEvent[] = [];
  readonly log: string[] = [];
  readonly home: string;
  #ctrl: { write(data: string): void; destroy(): void } | undefined;
  #buffer = Buffer.alloc(0);
  #token = 0;
  #pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  #waiters: Array<{ match: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }> = [];

  private constructor(options: BaresipOptions, home: string, child: ChildProcess) {
    this.options = options;
    this.home = home;
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.log.push(d.toString()));
  }

  get aor(): string {
    return `sip:${this.options.user}@${this.options.domain}`;
  }

  get recordings(): string {
    return join(this.home, 'rec');
  }

  static async start(o: BaresipOptions): Promise<BaresipPhone> {
    const home = join(o.dir, o.name);
    mkdirSync(join(home, 'rec'), { recursive: true });
    const tone = join(home, 'tone.wav');
    makeTone(tone, o.toneHz, o.toneSeconds);
    const modules = ['g711.so', 'aufile.so', 'aubridge.so', 'sndfile.so', ...(o.extraModules ?? [])];
    writeFileSync(join(home, 'config'), [
      `sip_listen ${o.address}:${o.sipPort}`,
      'dns_server 127.0.0.1:53',
      `audio_source aufile,${tone}`,
      'audio_player aubridge,nil',
      'audio_alert aubridge,nil',
      `rtp_ports ${o.rtpPorts[0]}-${o.rtpPorts[1]}`,
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}`),
      `snd_path ${join(home, 'rec')}`,
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen ${o.address}:${o.ctrlPort}`,
      '',
    ].join('\n'));
    writeFileSync(join(home, 'accounts'), `<sip:${o.user}@${o.domain}>;auth_pass=${o.password};outbound="${o.outbound}";answermode=${o.answer};audio_codecs=pcmu,pcma;regint=${o.regint ?? 60}\n`);
    writeFileSync(join(home, 'contacts'), '');
    const argv = ['-f', home, '-n', o.address];
    const child = o.netns === undefined ? spawn('baresip', argv, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('ip', ['netns', 'exec', o.netns, 'baresip', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const phone = new BaresipPhone(o, home, child);
    await phone.#connect();
    return phone;
  }

  async #connect(): Promise<void> {
    if (this.options.netns !== undefined) return this.#connectInNamespace(this.options.netns);
    const deadline = Date.now() + 10_000;
    let socket: Socket;
    for (;;) {
      try {
        socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: this.options.address, port: this.options.ctrlPort }, () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (error) {
        if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`baresip ${this.options.name} ctrl_tcp not reachable: ${String(error)}\n${this.log.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    socket.on('data', (d: Buffer) => this.#onData(d));
    this.#ctrl = socket;
  }

  /**
   * The test runs outside the namespace and cannot reach the phone's ctrl_tcp address: a small
   * Node pipe started inside the namespace carries the bytes over its stdin and stdout.
   */
  async #connectInNamespace(netns: string): Promise<void> {
    const script = `const net=require('net');const t0=Date.now();(function go(){const s=net.connect(${this.options.ctrlPort},'${this.options.address}',()=>{process.stdout.write('\\u0000');process.stdin.pipe(s);s.pipe(process.stdout);});s.on('error',()=>{if(Date.now()-t0>10000)process.exit(1);setTimeout(go,100);});s.on('close',()=>process.exit(0));})();`;
    const pipe = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      pipe.stdout?.on('data', (d: Buffer) => {
        if (!ready) {
          ready = true;
          resolve();
          d = d.subarray(1);
        }
        if (d.length > 0) this.#onData(d);
      });
      pipe.once('exit', () => {
        if (!ready) reject(new Error(`baresip ${this.options.name} ctrl_tcp not reachable in ${netns}\n${this.log.join('')}`));
      });
    });
    this.#ctrl = {
      write: (data) => void pipe.stdin?.write(data),
      destroy: () => {
        pipe.stdin?.end();
        if (pipe.pid !== undefined && pipe.exitCode === null) pipe.kill();
      },
    };
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.#buffer.toString('latin1', 0, colon));
      if (this.#buffer.length < colon + 1 + len + 1) return;
      const json = this.#buffer.toString('utf8', colon + 1, colon + 1 + len);
      this.#buffer = this.#buffer.subarray(colon + 2 + len);
      let msg: BaresipEvent & { response?: boolean; ok?: boolean; data?: string; token?: string; event?: boolean };
      try {
        msg = JSON.parse(json) as typeof msg;
      } catch {
        continue;
      }
      if (msg.response === true && typeof msg.token === 'string') {
        this.#pending.get(msg.token)?.({ ok: msg.ok === true, data: msg.data ?? '' });
        this.#pending.delete(msg.token);
      } else if (msg.event === true) {
        this.events.push(msg);
        for (const w of [...this.#waiters]) {
          if (w.match(msg)) {
            this.#waiters = this.#waiters.filter((x) => x !== w);
            w.resolve(msg);
          }
        }
      }
    }
  }

  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.#token}`;
    const body = JSON.stringify({ command, params, token });
    this.#ctrl?.write(`${Buffer.byteLength(body)}:${body},`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baresip ${this.options.name}: no answer to ${command}`)), 5000);
      this.#pending.set(token, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** The first event of `type` (already seen from index `since`, or coming). */
  waitFor(type: string, timeoutMs = 15_000, since = 0, match: (e: BaresipEvent) => boolean = () => true): Promise<BaresipEvent> {
    const seen = this.events.slice(since).find((e) => e.type === type && match(e));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { match: (e: BaresipEvent) => e.type === type && match(e), resolve: (e: BaresipEvent) => { clearTimeout(timer); resolve(e); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`baresip ${this.options.name}: no ${type} within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(',')}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Registration happens at start-up, before ctrl_tcp is connected: poll `reginfo`. */
  async waitRegistered(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.command('reginfo');
      if (/(^|[^A-Za-z])OK /.test(r.data.replace(/\u001b\[[0-9;]*m/g, " "))) return;
      if (Date.now() > deadline) throw new Error(`baresip ${this.options.name} not registered: ${r.data}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Received-audio recordings (newest last). */
  decodedRecordings(): string[] {
    return readdirSync(this.recordings).filter((f) => f.endsWith('-dec.wav')).sort().map((f) => join(this.recordings, f));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    // Listened for before `quit`: baresip may exit before it answers, and a later once('exit') would never fire.
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.command('quit').catch(() => undefined);
    const timer = setTimeout(() => {
      if (this.child.pid !== undefined) {
        try {
          process.kill(this.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
    this.#ctrl?.destroy();
  }
}
