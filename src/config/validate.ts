/**
 * Configuration validation: the parsed YAML is `unknown` until every field is checked. The first
 * bad field throws a ConfigError whose `path` names it (`hub.enrollment.port`); unknown fields are
 * errors too, so a typo is not silently ignored.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { adminSection } from './admin-config.js';
import { agentSection } from './agent-config.js';
import { BUILTIN_PBX, builtinCallPath } from './builtin-pbx-config.js';
import { protectionSection } from './protection-config.js';
import { boolean, duration, hostName, integer, join, listen, section, string, type Obj } from './fields.js';
import { DEFAULT_CONFIG, type HubCallPathConfig, type HubConfig, type HubProvisioningConfig, type HubTunnelConfig, type LockoutConfig, type LogLevel, type SbcConfig } from './schema.js';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function lockout(value: unknown, path: string): LockoutConfig {
  const d = DEFAULT_CONFIG.hub.lockout;
  const obj = section(value, path, ['maxFailures', 'window', 'duration', 'baseDelay', 'maxDelay']);
  const baseDelayMs = duration(obj, 'baseDelay', path, d.baseDelayMs, true);
  const maxDelayMs = duration(obj, 'maxDelay', path, d.maxDelayMs, true);
  if (maxDelayMs < baseDelayMs) throw new ConfigError(join(path, 'maxDelay'), 'must not be shorter than baseDelay');
  return {
    maxFailures: integer(obj, 'maxFailures', path, d.maxFailures, 1, 1000),
    windowMs: duration(obj, 'window', path, d.windowMs),
    durationMs: duration(obj, 'duration', path, d.durationMs),
    baseDelayMs,
    maxDelayMs,
  };
}

/** The longest resume window: a day (the HELLO field is u32 seconds; calls held longer help no one). */
const MAX_RESUME_WINDOW_MS = 86_400_000;

/** hub.tunnel: listen and port as every listener, plus the resume window (whole seconds on the wire). */
function tunnel(value: unknown): HubTunnelConfig {
  const path = 'hub.tunnel';
  const d = DEFAULT_CONFIG.hub.tunnel;
  const obj = section(value, path, ['listen', 'port', 'resumeWindow']);
  const resumeWindowMs = duration(obj, 'resumeWindow', path, d.resumeWindowMs ?? 300_000);
  if (resumeWindowMs % 1000 !== 0 || resumeWindowMs > MAX_RESUME_WINDOW_MS) {
    throw new ConfigError(join(path, 'resumeWindow'), 'must be whole seconds from 1s to 1d (agents learn it in seconds)');
  }
  return { ...listen({ listen: obj['listen'], port: obj['port'] }, path, d), resumeWindowMs };
}

function hub(value: unknown): HubConfig {
  const path = 'hub';
  const d = DEFAULT_CONFIG.hub;
  const obj = section(value, path, ['publicName', 'altNames', 'enrollment', 'tunnel', 'wss', 'keyLifetime', 'lockout', 'pbx', 'builtinPbx', 'sip', 'media', 'provisioning', 'routing', 'cdr', 'admin', 'protection', 'sipEcho']);
  const publicName = obj['publicName'] === undefined ? undefined : hostName(string(obj, 'publicName', path, ''), 'hub.publicName');
  const names = obj['altNames'] ?? [];
  if (!Array.isArray(names)) throw new ConfigError('hub.altNames', 'must be a list of host names and IP addresses');
  const altNames = names.map((n: unknown, i) => {
    if (typeof n !== 'string') throw new ConfigError(`hub.altNames[${i}]`, 'must be a string');
    return hostName(n, `hub.altNames[${i}]`);
  });
  const wssObj = section(obj['wss'], 'hub.wss', ['listen', 'port', 'path']);
  const wssPath = string(wssObj, 'path', 'hub.wss', d.wss.path);
  if (!wssPath.startsWith('/')) throw new ConfigError('hub.wss.path', "must start with '/'");
  const wssListen = { listen: wssObj['listen'], port: wssObj['port'] };
  return {
    publicName,
    altNames,
    enrollment: listen(obj['enrollment'], 'hub.enrollment', d.enrollment),
    tunnel: tunnel(obj['tunnel']),
    wss: { ...listen(wssListen, 'hub.wss', d.wss), path: wssPath },
    keyLifetimeMs: duration(obj, 'keyLifetime', path, d.keyLifetimeMs),
    lockout: lockout(obj['lockout'], 'hub.lockout'),
    callPath: callPath(obj),
    provisioning: provisioning(obj['provisioning']),
    routing: obj['routing'] === undefined ? undefined : nonEmpty(string(obj, 'routing', path, ''), 'hub.routing'),
    cdr: { retentionDays: integer(section(obj['cdr'], 'hub.cdr', ['retentionDays']), 'retentionDays', 'hub.cdr', d.cdr.retentionDays, 1, 3650) },
    admin: adminSection(obj['admin'], 'hub.admin', d.admin, false),
    protection: protectionSection(obj['protection'], 'hub.protection'),
    // Off unless present; its address defaults to the tunnel's, where agents reach the hub.
    sipEcho: obj['sipEcho'] === undefined ? undefined : listen(obj['sipEcho'], 'hub.sipEcho', { listen: tunnel(obj['tunnel']).listen, port: 5060 }),
  };
}

function nonEmpty(value: string, path: string): string {
  if (value === '') throw new ConfigError(path, 'must name the routing YAML file');
  return value;
}

/** `hub.provisioning`: the upstream the hub fetches its agents' provisioning files from. */
function provisioning(value: unknown): HubProvisioningConfig {
  const path = 'hub.provisioning';
  const d = DEFAULT_CONFIG.hub.provisioning;
  const obj = section(value, path, ['upstream', 'insecure', 'maxBytes', 'timeout']);
  const upstream = obj['upstream'] === undefined ? undefined : baseUrl(string(obj, 'upstream', path, ''), 'hub.provisioning.upstream');
  return {
    upstream,
    insecure: boolean(obj, 'insecure', path, d.insecure),
    maxBytes: integer(obj, 'maxBytes', path, d.maxBytes, 1024, 1024 * 1024 * 1024),
    timeoutMs: duration(obj, 'timeout', path, d.timeoutMs),
  };
}

/** An http:// or https:// URL that paths are appended to: no query or fragment (user:password@ is sent as Basic auth). */
function baseUrl(value: string, path: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(path, `'${value}' is not a URL (example: https://pbx.example.net/provisioning/)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(path, `must be an http:// or https:// URL, not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) throw new ConfigError(path, 'must not have a query or a fragment (file paths are appended to it)');
  return value;
}

/** `hub.pbx`, `hub.sip`, `hub.media`: the call path, enabled by `hub.pbx`. */
function callPath(hubObj: Obj): HubCallPathConfig | undefined {
  const sipObj = section(hubObj['sip'], 'hub.sip', ['listen', 'port']);
  const mediaObj = section(hubObj['media'], 'hub.media', ['address', 'ports']);
  if (hubObj['pbx'] === BUILTIN_PBX) return builtinCallPath(hubObj, sipObj, mediaObj);
  if (hubObj['builtinPbx'] !== undefined) throw new ConfigError('hub.builtinPbx', `is read only with hub.pbx: ${BUILTIN_PBX}`);
  if (typeof hubObj['pbx'] === 'string') throw new ConfigError('hub.pbx', `'${hubObj['pbx']}' is neither '${BUILTIN_PBX}' nor a mapping (host, port, transport, probeInterval, probeFailures)`);
  const pbxObj = section(hubObj['pbx'], 'hub.pbx', ['host', 'port', 'transport', 'probeInterval', 'probeFailures']);
  const portsObj = section(mediaObj['ports'], 'hub.media.ports', ['min', 'max']);
  if (hubObj['pbx'] === undefined) return undefined;
  if (pbxObj['host'] === undefined) throw new ConfigError('hub.pbx.host', 'is required: the PBX IP address');
  const host = string(pbxObj, 'host', 'hub.pbx', '');
  if (!isIpLiteral(host)) throw new ConfigError('hub.pbx.host', `'${host}' is not an IP address (the hub does not resolve names toward the PBX)`);
  const transport = string(pbxObj, 'transport', 'hub.pbx', 'udp');
  if (transport !== 'udp' && transport !== 'tcp') throw new ConfigError('hub.pbx.transport', "must be 'udp' or 'tcp'");
  const sipListen = string(sipObj, 'listen', 'hub.sip', '');
  if (sipListen === '' || !isIpLiteral(sipListen) || sipListen === '0.0.0.0' || sipListen === '::') {
    throw new ConfigError('hub.sip.listen', 'must be the IP address of the hub toward the PBX (it is written in Via and Contact; not 0.0.0.0 or ::)');
  }
  const address = string(mediaObj, 'address', 'hub.media', sipListen);
  if (!isIpLiteral(address) || address === '0.0.0.0' || address === '::') throw new ConfigError('hub.media.address', `'${address}' is not a unicast IP address (it is written in SDP)`);
  const min = integer(portsObj, 'min', 'hub.media.ports', 20000, 1024, 65534);
  const max = integer(portsObj, 'max', 'hub.media.ports', Math.max(min + 1, 29999), 1025, 65535);
  if (max <= min) throw new ConfigError('hub.media.ports.max', 'must be greater than hub.media.ports.min');
  return {
    pbx: {
      host, port: integer(pbxObj, 'port', 'hub.pbx', 5060, 1, 65535), transport,
      // 0s: no probing (a PBX that does not answer OPTIONS; agents then see the tunnel only).
      probeIntervalMs: duration(pbxObj, 'probeInterval', 'hub.pbx', 1000, true),
      probeFailures: integer(pbxObj, 'probeFailures', 'hub.pbx', 3, 1, 100),
    },
    sip: { listen: sipListen, port: integer(sipObj, 'port', 'hub.sip', 5060, 0, 65535) },
    media: { address, ports: { min, max } },
  };
}

/** Checks a parsed configuration document and fills in defaults. */
export function validateConfig(value: unknown): SbcConfig {
  const top = section(value, '', ['stateDir', 'log', 'hub', 'agent']);
  const log = section(top['log'], 'log', ['level']);
  const level = string(log, 'level', 'log', DEFAULT_CONFIG.log.level);
  if (!LOG_LEVELS.includes(level as LogLevel)) throw new ConfigError('log.level', `must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    stateDir: top['stateDir'] === undefined ? undefined : string(top, 'stateDir', '', ''),
    log: { level: level as LogLevel },
    hub: hub(top['hub']),
    agent: agentSection(top['agent']),
  };
}
