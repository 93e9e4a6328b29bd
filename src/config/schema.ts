import { DEFAULT_AGENT_ADMIN, DEFAULT_HUB_ADMIN, type AdminConfig } from './admin-config.js';

/**
 * The configuration as the program uses it: every field present, defaults filled in, durations in
 * milliseconds. config/sbc-agent.schema.json describes the YAML form for editors; validate.ts is
 * what enforces it.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ListenConfig {
  readonly listen: string;
  readonly port: number;
}

export interface LockoutConfig {
  /** Wrong keys from one address before it is locked out. */
  readonly maxFailures: number;
  /** Failures older than this are forgotten. */
  readonly windowMs: number;
  /** How long a locked-out address is refused (HTTP 429). */
  readonly durationMs: number;
  /** The delay before answering the first wrong key; it doubles with each one. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** `hub.tunnel`: the TLS listener, and how long a dropped agent session may be resumed (issue 12). */
export interface HubTunnelConfig extends ListenConfig {
  /**
   * A session whose link dropped is kept this long for the agent to resume (PROTOCOL.md "Resume"):
   * calls through it survive a WAN outage this long. The hub sends it in HELLO(ACK), whole seconds.
   * Always set by validation; optional so listener literals (tests, the demo) may leave it at the
   * tunnel server's DEFAULT_RESUME_WINDOW_MS.
   */
  readonly resumeWindowMs?: number;
}

/** The hub's call path toward the PBX (`hub.pbx`, `hub.sip`, `hub.media`); absent without `hub.pbx`. */
export interface HubCallPathConfig {
  /** Where the hub sends the branch's SIP: the PBX (or its SBC/proxy). */
  readonly pbx: {
    readonly host: string;
    readonly port: number;
    readonly transport: 'udp' | 'tcp';
    /** SIP OPTIONS to the PBX this often (survival: agents learn whether the PBX answers); 0: no probing. */
    readonly probeIntervalMs: number;
    /** Probes failing in a row before the PBX is reported unreachable. */
    readonly probeFailures: number;
  };
  /** The hub's SIP listener toward the PBX (UDP and TCP on one port); a concrete address: it is written in Via and Contact. */
  readonly sip: ListenConfig;
  /** The address and UDP ports of the hub's media relay toward the PBX (written in SDP). */
  readonly media: { readonly address: string; readonly ports: { readonly min: number; readonly max: number } };
  /**
   * `hub.pbx: builtin` (issue 12): the hub runs the routing core itself as the PBX, and `pbx`
   * above names its SIP listener (UDP on loopback unless `hub.builtinPbx.listen` says otherwise).
   */
  readonly builtin?: BuiltinPbxConfig;
}

/** `hub.builtinPbx`: the built-in PBX's registrar and B2BUA (with `hub.pbx: builtin`). */
export interface BuiltinPbxConfig {
  /** Its SIP listener (UDP and TCP): 127.0.0.1 by default; an address of the LAN lets phones register to it directly. */
  readonly sip: ListenConfig;
  /**
   * The address written in its SDP and the UDP ports of its media relay; `musicOnHold` as the
   * agent's (`agent.media.musicOnHold`), a name read from `<state>/hub/pbx/prompts/`.
   */
  readonly media: { readonly address: string; readonly ports: { readonly min: number; readonly max: number }; readonly musicOnHold?: string };
}

/** `hub.provisioning`: the PBX's provisioning server, fetched by the hub for its agents' relays. */
export interface HubProvisioningConfig {
  /** http:// or https:// base URL; undefined: the hub answers every fetch 404. */
  readonly upstream: string | undefined;
  /** Accept an https upstream whose certificate does not verify (self-signed). */
  readonly insecure: boolean;
  /** The largest file fetched; a larger one is answered 502. */
  readonly maxBytes: number;
  /** Each upstream fetch, from connect to the last byte; answered 504 after it. */
  readonly timeoutMs: number;
}

export interface HubConfig {
  /** The name agents reach the hub by; the first name of its server certificate. Default: the Host the agent used. */
  readonly publicName: string | undefined;
  /** More DNS names and IP addresses for the hub's server certificate. */
  readonly altNames: readonly string[];
  readonly enrollment: ListenConfig;
  readonly tunnel: HubTunnelConfig;
  readonly wss: ListenConfig & { readonly path: string };
  /** How long a new auth key stays valid (`hub add-sbc --expires` overrides). */
  readonly keyLifetimeMs: number;
  readonly lockout: LockoutConfig;
  /** The SBC call path toward the PBX; undefined when no PBX is configured (the hub carries no calls). */
  readonly callPath: HubCallPathConfig | undefined;
  /** Provisioning fetches through the tunnel (served whether or not the call path is configured). */
  readonly provisioning: HubProvisioningConfig;
  /** The routing model file (issue 11), relative to the config file's folder; undefined: no routing. */
  readonly routing: string | undefined;
  /** The hub's admin API and page (admin-config.ts). */
  readonly admin: AdminConfig;
  /** The call detail records the agents upload (`hub.cdr`). */
  readonly cdr: HubCdrConfig;
  /** Allow and deny lists of the enrollment endpoint (its lockout is `lockout`). */
  readonly protection: ProtectionConfig;
  /** The SIP echo `sbc-agent doctor` finds SIP ALGs with (src/hub-sip-echo.ts); undefined: off. */
  readonly sipEcho: ListenConfig | undefined;
}

/** `hub.cdr`: how long the hub keeps call detail records. */
export interface HubCdrConfig {
  /** Day files older than this many days are removed (default 90). */
  readonly retentionDays: number;
}

/** `agent.protection` / `hub.protection`: the blocking policy (src/protect/policy.ts has the same shape). */
export interface ProtectionConfig {
  readonly enabled: boolean;
  readonly auth: { readonly maxFailures: number; readonly windowMs: number; readonly blockMs: number; readonly challengeTimeoutMs: number };
  /** Two packet-rate levels, lowest first, each with its block time. */
  readonly rates: readonly { readonly packetsPerSecond: number; readonly blockMs: number }[];
  readonly dropScanners: boolean;
  readonly allow: readonly string[];
  readonly deny: readonly { readonly address: string; readonly until: number | undefined }[];
}

export type PnpPolicyName = 'inbox' | 'auto' | 'off';

/** Where the agent's provisioning relay gets the phones' files (`agent.pnp.provisioning`). */
export type ProvisioningSource =
  /** From the hub, over the tunnel (the hub's `hub.provisioning.upstream`): the default. */
  | { readonly kind: 'tunnel' }
  /** From a provisioning server the branch reaches itself. */
  | { readonly kind: 'http'; readonly url: string; readonly insecure: boolean }
  /** From local templates ({{mac}}, {{extension}}, {{agent}}, {{sip_port}}). */
  | { readonly kind: 'templates'; readonly folder: string }
  | { readonly kind: 'off' };

export interface AgentPnpConfig {
  /** inbox: answer approved phones only; auto: answer every phone; off: answer none. */
  readonly policy: PnpPolicyName;
  /** The provisioning relay's HTTP port on each LAN address. */
  readonly httpPort: number;
  /** The URL handed to phones: {ip} the agent's address on the phone's LAN, {port} the relay port. */
  readonly urlBase: string;
  readonly provisioning: ProvisioningSource;
}

export interface AgentStunConfig {
  /** The LAN STUN server's port (UDP and TCP on each LAN address); 0: none (STUN on the SIP port still answers). */
  readonly port: number;
  /** A STUN server on the WAN side for the NAT check at start (HOST:PORT); undefined: no check. */
  readonly server: string | undefined;
}

export interface AgentConfig {
  /** Timeout of each enrollment request. */
  readonly enrollTimeoutMs: number;
  /** LAN interfaces or addresses to serve; empty: chosen at start (net/lan-choice.ts). */
  readonly lan: readonly string[];
  readonly sip: {
    readonly port: number;
    /** SIP over TLS for the phones; only with a certificate. */
    readonly tlsPort: number;
    readonly tlsCert: string | undefined;
    readonly tlsKey: string | undefined;
  };
  readonly media: {
    readonly ports: { readonly min: number; readonly max: number };
    /**
     * Music on hold of the agent's own calls (`calls: local` or `auto`): an 8 kHz 16-bit mono PCM
     * WAV, an absolute path or a file name in `<state>/agent/prompts/` (`.wav` added without an
     * extension). Read and checked at start (src/b2bua/prompt-library.ts readMusicOnHold); absent:
     * parked calls hear a soft beep, held calls silence, queue callers ringing.
     */
    readonly musicOnHold?: string;
  };
  /** Registration lifetime asked of the registrar, seconds. */
  readonly upstreamExpires: number;
  readonly pnp: AgentPnpConfig;
  readonly stun: AgentStunConfig;
  /** How long calls may go on after SIGTERM or `sbc-agent drain` before the process exits. */
  readonly drainTimeoutMs: number;
  /** `pbx`: the outbound proxy toward the PBX through the tunnel; `local`: the agent's own registrar and B2BUA. */
  readonly calls: CallControlMode;
  /** Survival (issue 12, `calls: auto`): when the agent takes over and when it hands calls back. */
  readonly survival: AgentSurvivalConfig;
  /**
   * Hubs to try in this order (issue 12), by IP address, so failing over never waits for DNS; the
   * enrolled hub first when it is not listed. Empty: the enrolled hub only.
   */
  readonly hubs: readonly { readonly host: string; readonly port: number }[];
  /** The agent's admin API and page (admin-config.ts). */
  readonly admin: AdminConfig;
  /** Blocking of brute force, floods and scanners on the LAN SIP ports. */
  readonly protection: ProtectionConfig;
}

/** `auto`: as `pbx` in normal mode, as `local` for new requests in survival (issue 12). */
export type CallControlMode = 'pbx' | 'local' | 'auto';
export const CALL_CONTROL_MODES: readonly CallControlMode[] = ['pbx', 'local', 'auto'];

/** `agent.survival.failback: { from: '22:00', to: '06:00', timeZone: 'Europe/Paris' }`: minutes after local midnight, [from, to), wrapping past midnight when from > to. */
export interface FailbackWindowConfig {
  readonly from: number;
  readonly to: number;
  readonly timeZone: string;
}

export interface AgentSurvivalConfig {
  /** Tunnel and PBX healthy without a break this long before failback. */
  readonly holdDownMs: number;
  /** `when-idle` (no survival call up), `immediate`, or only inside a daily window. */
  readonly failback: 'when-idle' | 'immediate' | FailbackWindowConfig;
  /** No tunnel this long after start: survival (an agent restarted while the WAN is down). */
  readonly startGraceMs: number;
}

export interface SbcConfig {
  readonly stateDir: string | undefined;
  readonly log: { readonly level: LogLevel };
  readonly hub: HubConfig;
  readonly agent: AgentConfig;
}

const DEFAULT_PROTECTION: ProtectionConfig = {
  enabled: true,
  auth: { maxFailures: 10, windowMs: 10 * 60_000, blockMs: 60 * 60_000, challengeTimeoutMs: 32_000 },
  rates: [{ packetsPerSecond: 2000, blockMs: 5 * 60_000 }, { packetsPerSecond: 5000, blockMs: 60 * 60_000 }],
  dropScanners: true,
  allow: [],
  deny: [],
};

export const DEFAULT_CONFIG: SbcConfig = {
  stateDir: undefined,
  log: { level: 'info' },
  hub: {
    publicName: undefined,
    altNames: [],
    enrollment: { listen: '0.0.0.0', port: 5001 },
    tunnel: { listen: '0.0.0.0', port: 5090, resumeWindowMs: 300_000 },
    wss: { listen: '0.0.0.0', port: 443, path: '/tunnel' },
    keyLifetimeMs: 7 * 86_400_000,
    lockout: { maxFailures: 5, windowMs: 15 * 60_000, durationMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000 },
    callPath: undefined,
    provisioning: { upstream: undefined, insecure: false, maxBytes: 16 * 1024 * 1024, timeoutMs: 15_000 },
    routing: undefined,
    cdr: { retentionDays: 90 },
    admin: DEFAULT_HUB_ADMIN,
    protection: DEFAULT_PROTECTION,
    sipEcho: undefined,
  },
  agent: {
    enrollTimeoutMs: 15_000,
    lan: [],
    sip: { port: 5060, tlsPort: 5061, tlsCert: undefined, tlsKey: undefined },
    media: { ports: { min: 40000, max: 49999 } },
    upstreamExpires: 1800,
    pnp: { policy: 'inbox', httpPort: 8080, urlBase: 'http://{ip}:{port}/', provisioning: { kind: 'tunnel' } },
    stun: { port: 3478, server: undefined },
    drainTimeoutMs: 10 * 60_000,
    calls: 'pbx',
    survival: { holdDownMs: 60_000, failback: 'when-idle', startGraceMs: 5_000 },
    hubs: [],
    admin: DEFAULT_AGENT_ADMIN,
    protection: DEFAULT_PROTECTION,
  },
};
