/**
 * The rig of the local call-control tests (issue 11): a real `sbc-agent hub` with a `hub.routing`
 * file, a real enrolled `sbc-agent run` with `agent.calls: local`, and phones, in network
 * namespaces this rig creates and removes:
 *
 *   phones 10.212.1.10, .11… ── lan0 10.212.1.1 [agent] wan0 10.212.2.2 ── 10.212.2.1 [hub] + 10.212.2.5 [ITSP]
 *
 * The agent's default route leaves by wan0, so it serves lan0 by itself. Phones are baresip
 * (audio; all on 10.212.1.10, each on its own ports) or SIPp (registration, ring and answer with
 * time-stamped logs; each on an address of its own). The ITSP is a SIPp UAS on the WAN side that the routing model names
 * as an IP trunk. Tests for ring groups, hunts, forwarding, trunks, emergency numbers, the
 * blacklist and CDRs start one rig and add phones to it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone } from './baresip.js';
import { enrollByCli, startCliHub, type CliHub } from './cli-hub.js';
import { CliProcess, runCli } from './integ-process.js';
import { Testbed } from './netns.js';
import { SCENARIOS, spawnCollect, type Finished } from './pnp-e2e.js';

export const AGENT_LAN = '10.212.1.1';
export const AGENT_WAN = '10.212.2.2';
export const HUB = '10.212.2.1';
export const ITSP = '10.212.2.5';
/** The address of every baresip phone (SIPp phones get their own: phoneAddress()). */
export const BARESIP_PHONES = '10.212.1.10';
export const SBC_NAME = 'branch-local';
export const REALM = 'branch.local.test';
/** Extension → password (the hub's file keeps them; the agent only ever sees HA1s). */
export const PASSWORDS: Readonly<Record<string, string>> = { '101': 'Pw-101-x', '102': 'Pw-102-y', '103': 'Pw-103-z', '104': 'Pw-104-w' };

/** 104 forwards to 103 after 4 s without an answer (its own calls, not its ring groups'). */
const FORWARD_104 = ', forwarding: { available: { noAnswer: 4, internal: extension:103, external: extension:103 } }';

/**
 * The hub's routing file: extensions 101–104 (101 and 102 for baresip phones, 103 and 104 for SIPp
 * ones; 104 forwards to 103 after 4 s without an answer), ring groups 600 (ring-all) and 601 (prioritized hunt, 5 s each) of 103 and 104, an inbound
 * rule to 600, outbound rules (all blocked for 102; 0899 blocked; 0… through the ITSP as +33…), the ITSP as the
 * branch's local trunk, emergency number 112, a blacklist.
 */
export function defaultRoutingYaml(version = 1): string {
  return `version: ${version}
realm: ${REALM}
extensions:
${Object.entries(PASSWORDS).map(([n, p]) => `  - { number: "${n}", name: Phone ${n}, password: ${p}, emergencyCallerId: "+3312345${n}"${n === '104' ? FORWARD_104 : ''} }`).join('\n')}
ringGroups:
  - { number: "600", name: Reception, strategy: ring-all, members: ["103", "104"], ringSeconds: 20 }
  - { number: "601", name: Support, strategy: prioritized-hunt, members: ["104", "103"], ringSeconds: 5 }
inbound:
  - { name: Main number, did: "*", destination: ring-group:600 }
outbound:
  - name: Nothing out for 102
    extensions: ["102"]
    routes: block
  - name: Premium
    prefixes: ["0899"]
    routes: block
  - name: National
    prefixes: ["0"]
    routes: [{ trunk: itsp, strip: 1, prepend: "+33" }]
trunks:
  - { name: itsp, kind: ip, host: ${ITSP}, port: 5060, agent: ${SBC_NAME} }
emergencyNumbers: ["112"]
localTrunks:
  ${SBC_NAME}: itsp
blacklist: ["0666*"]
`;
}

export interface LocalRegistrationJson {
  readonly extension: string;
  readonly contact: string;
  readonly source: string;
  readonly userAgent: string | null;
  readonly expiresInS: number;
}

export interface LocalAgentStatus {
  readonly running: boolean;
  readonly tunnels: readonly { readonly state: string }[];
  readonly parts: {
    readonly callControl?: string;
    readonly routing?: { readonly version: number };
    readonly registrations: { readonly count: number };
    readonly local?: { readonly registrations: readonly LocalRegistrationJson[]; readonly authFailures: number; readonly counters: Readonly<Record<string, number>> };
    readonly calls: { readonly active: number };
    /** The LAN ports' protection (src/protect). */
    readonly protection?: { readonly authFailures: number; readonly blocks: number };
    /** The agent's CDR buffer (src/agent-cdr.ts). */
    readonly cdr?: { readonly pending: number; readonly uploaded: number };
  };
}

export interface SippRun extends Finished {
  /** The -trace_msg file's text. */
  readonly trace: string;
}

/** One message of a SIPp -trace_msg file with its time (ms since the epoch). */
export interface TimedSippMessage {
  readonly at: number;
  readonly direction: 'sent' | 'received';
  readonly firstLine: string;
  readonly text: string;
}

/** The messages of a SIPp -trace_msg file with their times, in order (for ring order and ring times). */
export function sippTimeline(trace: string): TimedSippMessage[] {
  const out: TimedSippMessage[] = [];
  const re = /^-+ (\d{4}-\d\d-\d\d\t?\s*\d\d:\d\d:\d\d(?:\.\d+)?)[^\n]*\n\s*(?:UDP|TCP) message (sent|received)[^\n]*\n\s*\n?([\s\S]*?)(?=^-{10,}|(?![\s\S]))/gm;
  for (const m of trace.matchAll(re)) {
    const when = (m[1] ?? '').replace(/\s+/, 'T');
    const text = (m[3] ?? '').trim();
    out.push({ at: Date.parse(`${when}Z`), direction: m[2] === 'sent' ? 'sent' : 'received', firstLine: text.split(/\r?\n/)[0] ?? '', text });
  }
  return out;
}

export interface LocalRigOptions {
  /** A few letters naming the test (namespace names). */
  readonly prefix: string;
  /** The hub's routing file at a version (default defaultRoutingYaml). */
  readonly routingYaml?: (version: number) => string;
  /** More lines under `agent:` in agent.yaml. */
  readonly agentYamlExtra?: string;
}

export class LocalRig {
  readonly dir: string;
  readonly bed: Testbed;
  readonly ns: Readonly<Record<'lan' | 'agent' | 'wan', string>>;
  readonly agentState: string;
  readonly agentYaml: string;
  hub!: CliHub;
  agent!: CliProcess;
  readonly #phones: BaresipPhone[] = [];
  readonly #background: { child: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }; done: Promise<Finished> }[] = [];
  #nextHost = 11;
  readonly #sippAddresses = new Map<string, string>();
  #routingYaml: (version: number) => string = defaultRoutingYaml;
  #routingVersion = 1;

  private constructor(o: LocalRigOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `sbc-e2e-${o.prefix}-`));
    this.bed = new Testbed(o.prefix);
    this.ns = { lan: this.bed.namespace('lan'), agent: this.bed.namespace('agt'), wan: this.bed.namespace('wan') };
    this.agentState = join(this.dir, 'agent');
    this.agentYaml = join(this.dir, 'agent.yaml');
  }

  /** Namespaces, the hub with its routing file, the agent enrolled and running in local mode with the model received. */
  static async start(o: LocalRigOptions): Promise<LocalRig> {
    const rig = new LocalRig(o);
    try {
      const { bed, ns } = rig;
      bed.link({ ns: ns.lan, dev: 'eth0', addr: '' }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
      bed.link({ ns: ns.agent, dev: 'wan0', addr: `${AGENT_WAN}/24` }, { ns: ns.wan, dev: 'eth0', addr: `${HUB}/24,${ITSP}/24` });
      bed.defaultRoute(ns.agent, HUB);
      // The agent's SIP and media sockets are on its LAN address: the ITSP answers there through wan0.
      bed.exec(ns.wan, 'ip', ['route', 'add', '10.212.1.0/24', 'via', AGENT_WAN]);
      rig.#routingYaml = o.routingYaml ?? defaultRoutingYaml;
      rig.#writeRouting();
      rig.hub = await startCliHub({
        dir: rig.dir,
        netns: ns.wan,
        yaml: `log:\n  level: info\nhub:\n  publicName: ${HUB}\n  enrollment: { listen: ${HUB}, port: 5001 }\n  tunnel: { listen: ${HUB}, port: 5090 }\n  wss: { listen: ${HUB}, port: 5443 }\n  routing: routing.yaml\n`,
      });
      await enrollByCli(rig.hub, SBC_NAME, rig.agentState, ns.agent);
      writeFileSync(rig.agentYaml, `log:\n  level: info\nagent:\n  calls: local\n  media:\n    ports: { min: 31000, max: 31199 }\n  pnp:\n    provisioning: off\n${o.agentYamlExtra ?? ''}`);
      await rig.startAgent();
      return rig;
    } catch (error) {
      await rig.stop();
      throw error;
    }
  }

  /**
   * Starts `sbc-agent run` (again, after stopAgent) and waits for the tunnel and the routing model
   * at the file's version: the snapshot the hub pushes when the tunnel opens is the branch's own
   * (its local trunk; the emergency test fails with `no-route` if the hub cut it for another name).
   */
  async startAgent(): Promise<void> {
    this.agent = new CliProcess(['run', '--config', this.agentYaml, '--state-dir', this.agentState], undefined, this.ns.agent);
    await this.agent.waitForOutput(/run: SBC '[^']+'/, 30_000);
    const version = this.#routingVersion;
    await this.statusUntil((s) => s.tunnels[0]?.state === 'up' && s.parts.routing?.version === version, `the tunnel up and routing version ${version} at the agent`, 30_000);
  }

  #writeRouting(): void {
    writeFileSync(join(this.dir, 'routing.yaml'), this.#routingYaml(this.#routingVersion));
  }

  /** Starts the hub again (after its process was stopped) with the same state and hub.yaml. */
  async restartHub(): Promise<void> {
    this.hub = await startCliHub({ dir: this.dir, netns: this.ns.wan, yaml: readText(join(this.dir, 'hub.yaml')) });
  }

  async stopAgent(): Promise<number | null> {
    return this.agent.stop('SIGINT');
  }

  /** A fresh address for one phone on the phones' LAN. */
  phoneAddress(): string {
    const address = `10.212.1.${this.#nextHost++}`;
    this.bed.addAddress(this.ns.lan, 'eth0', `${address}/24`);
    return address;
  }

  async status(): Promise<LocalAgentStatus> {
    const r = await runCli(['status', '--json', '--state-dir', this.agentState]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { agent: LocalAgentStatus }).agent;
  }

  async statusText(): Promise<string> {
    const r = await runCli(['status', '--state-dir', this.agentState]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  async statusUntil(ok: (s: LocalAgentStatus) => boolean, what: string, timeoutMs = 10_000): Promise<LocalAgentStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      if (s.running && ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}\nagent: ${this.agent.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * A baresip phone of `extension` registering to the agent (auto answer, a tone of `toneHz`). All
   * baresip phones share one address (BARESIP_PHONES), each on its own ports: baresip sends RTP
   * from an unbound socket, so on an interface with several addresses its source would not be the
   * address its SDP names, and the agent's latching (rightly) ignores such packets.
   */
  async baresip(name: string, extension: string, toneHz: number, options: { password?: string } = {}): Promise<BaresipPhone> {
    if (this.#phones.length === 0) this.bed.addAddress(this.ns.lan, 'eth0', `${BARESIP_PHONES}/24`);
    const i = this.#phones.length;
    const phone = await BaresipPhone.start({
      dir: this.dir, name, address: BARESIP_PHONES, netns: this.ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
      sipPort: 5060 + i * 2, ctrlPort: 24000 + i, rtpPorts: [24100 + i * 20, 24119 + i * 20],
      user: extension, domain: REALM, password: options.password ?? PASSWORDS[extension] ?? '', toneHz,
    });
    this.#phones.push(phone);
    return phone;
  }

  /**
   * Runs a SIPp scenario of test/support from a phone address in the phones' namespace toward the
   * agent (`-s EXT -au EXT -ap PASSWORD` for the digest), bounded by `timeout`; resolves when it ends.
   */
  sipp(name: string, scenario: string, o: { extension: string; password?: string; address: string; port?: number; keys?: Readonly<Record<string, string>>; timeout?: string; background?: boolean }): Promise<SippRun> {
    const log = join(this.dir, `${name}.log`);
    const keys = Object.entries({ expires: '600', ring_ms: '1000', ...o.keys }).flatMap(([k, v]) => ['-key', k, v]);
    const run = spawnCollect('ip', [
      'netns', 'exec', this.ns.lan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(SCENARIOS, scenario),
      '-s', o.extension, '-au', o.extension, '-ap', o.password ?? PASSWORDS[o.extension] ?? '', ...keys,
      '-i', o.address, '-p', String(o.port ?? 5060), '-m', '1', '-nostdin', '-timeout', o.timeout ?? '20s', '-timeout_error',
      '-trace_msg', '-message_file', log, '-trace_err', '-error_file', join(this.dir, `${name}.err`),
    ], this.dir);
    this.#background.push(run);
    return run.done.then((f) => ({ ...f, trace: readText(log) }));
  }

  /**
   * A SIPp desk phone of `extension` on an address of its own (the same one each time for an
   * extension, so a new phone replaces the binding of the last one): registers (local-register.xml,
   * asserted), then runs `scenario` (local-phone-uas.xml answers after `ringMs`; local-phone-ring.xml
   * rings until cancelled) on the same address and port, in the background until one call is done.
   */
  async sippPhone(name: string, extension: string, scenario: 'local-phone-uas.xml' | 'local-phone-ring.xml', o: { ringMs?: number; timeout?: string } = {}): Promise<{ address: string; done: Promise<SippRun> }> {
    const address = this.#sippAddresses.get(extension) ?? this.phoneAddress();
    this.#sippAddresses.set(extension, address);
    const registered = await this.sipp(`${name}-register`, 'local-register.xml', { extension, address, port: 5070 });
    assert.equal(registered.code, 0, `${name} registers: ${registered.stderr}\n${registered.trace.slice(-2000)}`);
    const done = this.sipp(name, scenario, { extension, address, port: 5070, keys: { ring_ms: String(o.ringMs ?? 1000) }, timeout: o.timeout ?? '60s' });
    // A call placed before SIPp listens would lose its first INVITE (and ring 500 ms late, Timer A).
    await this.#listening(this.ns.lan, address, 5070);
    return { address, done };
  }

  /** Waits until a UDP socket is bound to address:port inside `ns` (SIPp has started). */
  async #listening(ns: string, address: string, port: number, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hlun', 'src', `${address}:${port}`], { encoding: 'utf8' });
      if (r.stdout.trim() !== '') return;
      if (Date.now() > until) assert.fail(`nothing listens on udp ${address}:${port} in ${ns} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The ITSP behind the IP trunk: a SIPp UAS on the WAN side answering `calls` calls. */
  itsp(name: string, calls = 1, timeout = '60s'): Promise<SippRun> {
    const log = join(this.dir, `${name}.log`);
    const run = spawnCollect('ip', [
      'netns', 'exec', this.ns.wan, 'sipp', '-sf', join(SCENARIOS, 'local-itsp-uas.xml'), '-i', ITSP, '-p', '5060', '-m', String(calls),
      '-nostdin', '-timeout', timeout, '-timeout_error', '-trace_msg', '-message_file', log,
    ], this.dir);
    this.#background.push(run);
    return run.done.then((f) => ({ ...f, trace: readText(log) }));
  }

  /**
   * A call from the ITSP into the branch over the IP trunk (local-trunk-uac.xml from the ITSP's
   * address, to the agent's LAN address through wan0): answered or refused, as its trace shows.
   * Not at the same time as itsp(): both use the ITSP's port 5060.
   */
  trunkCall(name: string, caller: string, dialled: string, timeout = '30s'): Promise<SippRun> {
    const log = join(this.dir, `${name}.log`);
    const run = spawnCollect('ip', [
      'netns', 'exec', this.ns.wan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(SCENARIOS, 'local-trunk-uac.xml'), '-key', 'caller', caller, '-key', 'dialled', dialled,
      '-i', ITSP, '-p', '5060', '-m', '1', '-nostdin', '-timeout', timeout, '-timeout_error', '-trace_msg', '-message_file', log,
    ], this.dir);
    this.#background.push(run);
    return run.done.then((f) => ({ ...f, trace: readText(log) }));
  }

  /** Stops phones, SIPp runs, the agent and the hub, removes the namespaces and the folder. Safe after a partial start. */
  async stop(): Promise<void> {
    for (const p of this.#phones) await p.stop().catch(() => undefined);
    for (const b of this.#background) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    await Promise.all(this.#background.map((b) => b.done));
    if (this.agent !== undefined) await this.agent.stop('SIGINT');
    if (this.hub !== undefined) await this.hub.process.stop();
    this.bed.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
