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

/** The hub's call path toward the PBX (`hub.pbx`, `hub.sip`, `hub.media`); absent without `hub.pbx`. */
export interface HubCallPathConfig {
  /** Where the hub sends the branch's SIP: the PBX (or its SBC/proxy). */
  readonly pbx: { readonly host: string; readonly port: number; readonly transport: 'udp' | 'tcp' };
  /** The hub's SIP listener toward the PBX (UDP and TCP on one port); a concrete address: it is written in Via and Contact. */
  readonly sip: ListenConfig;
  /** The address and UDP ports of the hub's media relay toward the PBX (written in SDP). */
  readonly media: { readonly address: string; readonly ports: { readonly min: number; readonly max: number } };
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
  readonly tunnel: ListenConfig;
  readonly wss: ListenConfig & { readonly path: string };
  /** How long a new auth key stays valid (`hub add-sbc --expires` overrides). */
  readonly keyLifetimeMs: number;
  readonly lockout: LockoutConfig;
  /** The SBC call path toward the PBX; undefined when no PBX is configured (the hub carries no calls). */
  readonly callPath: HubCallPathConfig | undefined;
  /** Provisioning fetches through the tunnel (served whether or not the call path is configured). */
  readonly provisioning: HubProvisioningConfig;
}

export interface AgentConfig {
  /** Timeout of each enrollment request. */
  readonly enrollTimeoutMs: number;
}

export interface SbcConfig {
  readonly stateDir: string | undefined;
  readonly log: { readonly level: LogLevel };
  readonly hub: HubConfig;
  readonly agent: AgentConfig;
}

export const DEFAULT_CONFIG: SbcConfig = {
  stateDir: undefined,
  log: { level: 'info' },
  hub: {
    publicName: undefined,
    altNames: [],
    enrollment: { listen: '0.0.0.0', port: 5001 },
    tunnel: { listen: '0.0.0.0', port: 5090 },
    wss: { listen: '0.0.0.0', port: 443, path: '/tunnel' },
    keyLifetimeMs: 7 * 86_400_000,
    lockout: { maxFailures: 5, windowMs: 15 * 60_000, durationMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000 },
    callPath: undefined,
    provisioning: { upstream: undefined, insecure: false, maxBytes: 16 * 1024 * 1024, timeoutMs: 15_000 },
  },
  agent: { enrollTimeoutMs: 15_000 },
};
