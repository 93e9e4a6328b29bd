/**
 * The set-up the survival end-to-end tests (issue 12) share, in network namespaces it creates:
 *
 *   phones NET.1.10 ── lan0 NET.1.1 [agent] wan0 NET.2.2 ── NET.2.1 [hub + Kamailio on 127.0.0.1]
 *
 * Kamailio (the PBX) listens on the hub's loopback with a control socket (its location table is
 * read with kamcmd); the hub probes it; one agent is enrolled and run by `sbc-agent run`. The rig
 * cuts and restores the WAN with nftables in the agent's namespace, kills and restarts Kamailio
 * (a restarted one has an empty location table), restarts the agent, starts baresip phones on the
 * LAN or directly at Kamailio, and reads the agent's survival status. `close()` ends every
 * process it started (by pid) and removes the namespaces; it is idempotent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone, type BaresipOptions } from './baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from './cli-hub.js';
import { CliProcess, runCli } from './integ-process.js';
import { Testbed } from './netns.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxOptions, type PbxProcess } from './sbc-kamailio.js';
import { survivalStatus, survivalUntil, type SurvivalStatus } from './survival-status.js';

/**
 * How the WAN is cut: `interface` drops everything on wan0 both ways (a cut cable upstream);
 * `hub` drops only what goes to or comes from the hub's address (a second line on the same link,
 * such as the local trunk's ITSP, stays).
 */
export type WanCut = 'interface' | 'hub';

export interface SurvivalRigOptions {
  /** The Testbed prefix (namespace names `<prefix>-lan|agt|hub-<id>`), unique to the test file. */
  readonly prefix: string;
  /** The first two octets of the rig's addresses, e.g. `10.212`. */
  readonly net: string;
  /** The SBC's name at the hub (`hub add-sbc --name`); the agent logs `run: SBC '<name>'`. */
  readonly sbcName: string;
  /** agent.yaml's text. */
  readonly agentYaml: string;
  /** Lines added to hub.yaml under `hub:` (e.g. `  routing: routing.yaml\n`). */
  readonly hubExtra?: string;
  /** Files written in the rig's directory before the hub starts (name → text). */
  readonly files?: Readonly<Record<string, string>>;
  /** The hub's PBX probe interval; `null` for the hub's default. Default 500ms. */
  readonly probeInterval?: string | null;
  /** Options of the first Kamailio (the control socket is the rig's). */
  readonly pbx?: Omit<PbxOptions, 'ctlSocket'>;
  /** More addresses (CIDR) on the phones' side, and beside the hub (an ITSP). */
  readonly lanAddresses?: readonly string[];
  readonly hubAddresses?: readonly string[];
  /** Default `interface`. */
  readonly wanCut?: WanCut;
}

/** A phone of the rig: BaresipOptions without what the rig knows (directory, namespace, domain, password, outbound). */
export type RigPhone = Omit<BaresipOptions, 'dir' | 'netns' | 'address' | 'outbound' | 'domain' | 'password' | 'answer'> & {
  /** `lan` (default): registers through the agent; `pbx`: registers directly at Kamailio, beside the hub. */
  readonly at?: 'lan' | 'pbx';
  readonly address?: string;
  readonly answer?: 'auto' | 'manual';
};

export class SurvivalRig {
  readonly bed: Testbed;
  readonly dir: string;
  readonly ns: Readonly<Record<'lan' | 'agent' | 'hub', string>>;
  readonly address: { readonly agentLan: string; readonly agentWan: string; readonly phones: string; readonly hub: string };
  readonly agentState: string;
  readonly agentYamlPath: string;
  readonly ctlSocket: string;
  pbx: PbxProcess | undefined;
  hub: CliHub | undefined;
  agent: CliProcess | undefined;
  readonly phones: BaresipPhone[] = [];
  readonly #background: { kill(signal?: NodeJS.Signals): boolean; readonly exitCode: number | null }[] = [];
  #closed = false;

  private constructor(readonly options: SurvivalRigOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `sbc-e2e-${options.prefix}-`));
    this.bed = new Testbed(options.prefix);
    const n = options.net;
    this.address = { agentLan: `${n}.1.1`, agentWan: `${n}.2.2`, phones: `${n}.1.10`, hub: `${n}.2.1` };
    this.ns = { lan: this.bed.namespace('lan'), agent: this.bed.namespace('agt'), hub: this.bed.namespace('hub') };
    this.agentState = join(this.dir, 'agent');
    this.agentYamlPath = join(this.dir, 'agent.yaml');
    this.ctlSocket = join(this.dir, 'kamailio.ctl');
  }

  /** Namespaces, Kamailio, hub, an enrolled agent running (phones are started by the test). */
  static async start(o: SurvivalRigOptions): Promise<SurvivalRig> {
    const rig = new SurvivalRig(o);
    try {
      await rig.#setUp();
    } catch (e) {
      await rig.close();
      throw e;
    }
    return rig;
  }

  async #setUp(): Promise<void> {
    const { bed, ns, address: a, options: o } = this;
    bed.link({ ns: ns.lan, dev: 'eth0', addr: [`${a.phones}/24`, ...(o.lanAddresses ?? [])].join(',') }, { ns: ns.agent, dev: 'lan0', addr: `${a.agentLan}/24` });
    bed.link({ ns: ns.agent, dev: 'wan0', addr: `${a.agentWan}/24` }, { ns: ns.hub, dev: 'eth0', addr: [`${a.hub}/24`, ...(o.hubAddresses ?? [])].join(',') });
    bed.defaultRoute(ns.agent, a.hub);
    // The B2BUA sends from the agent's LAN address: a peer beside the hub (the ITSP) answers through wan0.
    if ((o.hubAddresses ?? []).length > 0) bed.exec(ns.hub, 'ip', ['route', 'add', `${o.net}.1.0/24`, 'via', a.agentWan]);
    this.startPbx(o.pbx);
    for (const [name, text] of Object.entries(o.files ?? {})) writeFileSync(join(this.dir, name), text);
    const probe = o.probeInterval === undefined ? '500ms' : o.probeInterval;
    const pbxLine = 'pbx: { host: 127.0.0.1, port: 5060 }';
    const yaml = namespaceHubYaml(a.hub, 'info', o.hubExtra ?? '').replace(pbxLine, probe === null ? pbxLine : `pbx: { host: 127.0.0.1, port: 5060, probeInterval: ${probe} }`);
    this.hub = await startCliHub({ dir: this.dir, netns: ns.hub, yaml });
    await enrollByCli(this.hub, o.sbcName, this.agentState, ns.agent);
    writeFileSync(this.agentYamlPath, o.agentYaml);
    await this.startAgent();
  }

  /** `sbc-agent run` in the agent's namespace, resolved once it logs its SBC (after `stopAgent`, a restart). */
  async startAgent(env?: NodeJS.ProcessEnv): Promise<CliProcess> {
    this.agent = new CliProcess(['run', '--config', this.agentYamlPath, '--state-dir', this.agentState], undefined, this.ns.agent, env);
    await this.agent.waitForOutput(new RegExp(`run: SBC '${this.options.sbcName}'`), 30_000);
    return this.agent;
  }

  async stopAgent(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    return (await this.agent?.stop(signal)) ?? null;
  }

  /** The agent's log so far (its tail, for failure messages). */
  agentLog(tail = 3000): string {
    return this.agent?.stderr.slice(-tail) ?? '';
  }

  /** A Kamailio on the hub's loopback (a new one has an empty location table). */
  startPbx(options: Omit<PbxOptions, 'ctlSocket'> = {}): PbxProcess {
    this.pbx = startPbx(this.dir, '127.0.0.1', 5060, this.ns.hub, { ...options, ctlSocket: this.ctlSocket });
    return this.pbx;
  }

  async stopPbx(): Promise<void> {
    await this.pbx?.stop();
  }

  /** The AORs in Kamailio's location table (user parts), sorted. */
  locationTable(): string[] {
    const out = execFileSync('kamcmd', ['-s', `unix:${this.ctlSocket}`, 'ul.dump'], { encoding: 'utf8' });
    return [...out.matchAll(/AoR:\s*(\S+)/g)].map((m) => m[1] ?? '').sort();
  }

  /** Silently drops the agent's WAN traffic both ways (the first packet lost is the first one after this). */
  dropWan(cut: WanCut = this.options.wanCut ?? 'interface'): void {
    const hub = this.address.hub;
    const [input, output] = cut === 'interface' ? ['iifname "wan0" drop', 'oifname "wan0" drop'] : [`ip saddr ${hub} drop`, `ip daddr ${hub} drop`];
    this.bed.nft(this.ns.agent, `table inet wancut {\n chain in { type filter hook input priority 0; policy accept; ${input}; }\n chain out { type filter hook output priority 0; policy accept; ${output}; }\n}\n`);
  }

  restoreWan(): void {
    this.bed.exec(this.ns.agent, 'nft', ['delete', 'table', 'inet', 'wancut']);
  }

  /** A baresip phone of PBX_DOMAIN with PBX_PASSWORD, on the LAN through the agent or directly at Kamailio. */
  async phone(p: RigPhone): Promise<BaresipPhone> {
    const direct = p.at === 'pbx';
    const phone = await BaresipPhone.start({
      ...p,
      dir: this.dir,
      netns: direct ? this.ns.hub : this.ns.lan,
      address: p.address ?? (direct ? '127.0.0.1' : this.address.phones),
      outbound: direct ? 'sip:127.0.0.1:5060;transport=udp' : `sip:${this.address.agentLan}:5060;transport=udp`,
      domain: PBX_DOMAIN,
      password: PBX_PASSWORD,
      answer: p.answer ?? 'auto',
    });
    this.phones.push(phone);
    return phone;
  }

  /** A process the test started (SIPp...) that `close()` kills if it is still running. */
  track(child: { kill(signal?: NodeJS.Signals): boolean; readonly exitCode: number | null }): void {
    this.#background.push(child);
  }

  survival(): Promise<SurvivalStatus | undefined> {
    return survivalStatus(this.agentState);
  }

  survivalUntil(what: string, ok: (s: SurvivalStatus) => boolean, timeoutMs: number): Promise<SurvivalStatus> {
    return survivalUntil(this.agentState, what, ok, timeoutMs, () => this.agentLog());
  }

  modeUntil(mode: string, timeoutMs: number): Promise<SurvivalStatus> {
    return this.survivalUntil(`mode ${mode}`, (s) => s.mode === mode, timeoutMs);
  }

  /** The agent's part of `sbc-agent status --json` (undefined while it has none). */
  async agentStatus<T>(): Promise<T | undefined> {
    const r = await runCli(['status', '--json', '--state-dir', this.agentState]);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as { agent?: T }).agent;
  }

  /** Polls the agent's status every 100 ms until `ok`. */
  async agentStatusUntil<T>(ok: (s: T) => boolean, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.agentStatus<T>();
      if (s !== undefined && ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}\nagent: ${this.agentLog()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends phones, tracked processes, agent, hub and Kamailio (by pid), removes the namespaces and the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.phones) await p.stop().catch(() => undefined);
    for (const b of this.#background) if (b.exitCode === null) b.kill('SIGKILL');
    await this.agent?.stop('SIGINT');
    await this.hub?.process.stop();
    await this.pbx?.stop();
    this.bed.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
