/**
 * The `agent` section of the configuration: what `sbc-agent run` (and the service) serves, from
 * agent.yaml. Every field is optional; a bad one throws a ConfigError that names it.
 */
import { ConfigError } from '../core/index.js';
import { adminSection } from './admin-config.js';
import { failbackPolicy, hubList } from './survival-config.js';
import { protectionSection } from './protection-config.js';
import { boolean, duration, integer, join, optionalString, portRange, section, string, type Obj } from './fields.js';
import { CALL_CONTROL_MODES, DEFAULT_CONFIG, type AgentConfig, type AgentSurvivalConfig, type CallControlMode, type AgentPnpConfig, type AgentStunConfig, type PnpPolicyName, type ProvisioningSource } from './schema.js';

const POLICIES: readonly PnpPolicyName[] = ['inbox', 'auto', 'off'];
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** `lan`: one name or address, or a list of them. */
function lanList(obj: Obj): string[] {
  const v = obj['lan'];
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list)) throw new ConfigError('agent.lan', 'must be an interface name or IPv4 address, or a list of them');
  return list.map((item: unknown, i) => {
    if (typeof item !== 'string' || item.trim() === '') throw new ConfigError(`agent.lan[${i}]`, 'must be an interface name or IPv4 address');
    return item.trim();
  });
}

function provisioning(value: unknown, path: string): ProvisioningSource {
  if (value === undefined || value === null) return DEFAULT_CONFIG.agent.pnp.provisioning;
  if (value === 'tunnel' || value === 'off') return { kind: value };
  const obj = section(value, path, ['upstream', 'insecure', 'templates']);
  const upstream = optionalString(obj, 'upstream', path);
  const templates = optionalString(obj, 'templates', path);
  if (upstream !== undefined && templates !== undefined) throw new ConfigError(join(path, 'templates'), 'excludes upstream: give one source');
  if (upstream !== undefined) {
    if (!/^https?:\/\/[^/]/.test(upstream)) throw new ConfigError(join(path, 'upstream'), `'${upstream}' is not an http:// or https:// URL`);
    return { kind: 'http', url: upstream, insecure: boolean(obj, 'insecure', path, false) };
  }
  if (templates !== undefined) return { kind: 'templates', folder: templates };
  throw new ConfigError(path, "must be 'tunnel', 'off', { upstream: URL } or { templates: FOLDER }");
}

function pnp(value: unknown): AgentPnpConfig {
  const path = 'agent.pnp';
  const d = DEFAULT_CONFIG.agent.pnp;
  const obj = section(value, path, ['policy', 'httpPort', 'urlBase', 'provisioning']);
  const policy = string(obj, 'policy', path, d.policy);
  if (!POLICIES.includes(policy as PnpPolicyName)) throw new ConfigError('agent.pnp.policy', `must be one of ${POLICIES.join(', ')}`);
  const urlBase = string(obj, 'urlBase', path, d.urlBase);
  if (!/^(https?|tftp|ftp):\/\//.test(urlBase)) throw new ConfigError('agent.pnp.urlBase', `'${urlBase}' is not a URL (http://{ip}:{port}/ by default)`);
  return {
    policy: policy as PnpPolicyName,
    httpPort: integer(obj, 'httpPort', path, d.httpPort, 1, 65535),
    urlBase,
    provisioning: provisioning(obj['provisioning'], 'agent.pnp.provisioning'),
  };
}

function stun(value: unknown): AgentStunConfig {
  const path = 'agent.stun';
  const obj = section(value, path, ['port', 'server']);
  const server = optionalString(obj, 'server', path);
  if (server !== undefined && !HOST_PORT.test(server)) throw new ConfigError('agent.stun.server', `'${server}' is not HOST or HOST:PORT`);
  return { port: integer(obj, 'port', path, DEFAULT_CONFIG.agent.stun.port, 0, 65535), server };
}

/** agent.calls: who controls the phones' calls (issue 11): the PBX through the tunnel, or the agent itself. */
function callControl(obj: Obj): CallControlMode {
  const mode = string(obj, 'calls', 'agent', DEFAULT_CONFIG.agent.calls);
  if (!CALL_CONTROL_MODES.includes(mode as CallControlMode)) throw new ConfigError('agent.calls', `must be one of ${CALL_CONTROL_MODES.join(', ')}`);
  return mode as CallControlMode;
}

/** agent.survival (issue 12): hold-down and failback policy of the health machine (src/survival). */
function survival(value: unknown): AgentSurvivalConfig {
  const path = 'agent.survival';
  const d = DEFAULT_CONFIG.agent.survival;
  const obj = section(value, path, ['holdDown', 'failback', 'startGrace']);
  return { holdDownMs: duration(obj, 'holdDown', path, d.holdDownMs), failback: failbackPolicy(obj['failback'], d.failback), startGraceMs: duration(obj, 'startGrace', path, d.startGraceMs) };
}

export function agentSection(value: unknown): AgentConfig {
  const d = DEFAULT_CONFIG.agent;
  const obj = section(value, 'agent', ['enrollTimeout', 'lan', 'sip', 'media', 'upstreamExpires', 'pnp', 'stun', 'drainTimeout', 'calls', 'survival', 'hubs', 'admin', 'protection']);
  const sipObj = section(obj['sip'], 'agent.sip', ['port', 'tlsPort', 'tlsCert', 'tlsKey']);
  const tlsCert = optionalString(sipObj, 'tlsCert', 'agent.sip');
  const tlsKey = optionalString(sipObj, 'tlsKey', 'agent.sip');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError(tlsCert === undefined ? 'agent.sip.tlsCert' : 'agent.sip.tlsKey', 'tlsCert and tlsKey go together');
  const mediaObj = section(obj['media'], 'agent.media', ['ports', 'musicOnHold']);
  const musicOnHold = optionalString(mediaObj, 'musicOnHold', 'agent.media');
  if (musicOnHold?.trim() === '') throw new ConfigError('agent.media.musicOnHold', 'must name a WAV file (or be left out)');
  const upstreamMs = duration(obj, 'upstreamExpires', 'agent', d.upstreamExpires * 1000);
  if (upstreamMs < 60_000) throw new ConfigError('agent.upstreamExpires', 'must be at least 60s');
  return {
    enrollTimeoutMs: duration(obj, 'enrollTimeout', 'agent', d.enrollTimeoutMs),
    lan: lanList(obj),
    sip: {
      port: integer(sipObj, 'port', 'agent.sip', d.sip.port, 1, 65535),
      tlsPort: integer(sipObj, 'tlsPort', 'agent.sip', d.sip.tlsPort, 1, 65535),
      tlsCert,
      tlsKey,
    },
    media: { ports: portRange(mediaObj['ports'], 'agent.media.ports', d.media.ports), ...(musicOnHold === undefined ? {} : { musicOnHold }) },
    upstreamExpires: Math.round(upstreamMs / 1000),
    pnp: pnp(obj['pnp']),
    stun: stun(obj['stun']),
    drainTimeoutMs: duration(obj, 'drainTimeout', 'agent', d.drainTimeoutMs, true),
    calls: callControl(obj),
    survival: survival(obj['survival']),
    hubs: hubList(obj['hubs']),
    admin: adminSection(obj['admin'], 'agent.admin', d.admin, true),
    protection: protectionSection(obj['protection'], 'agent.protection'),
  };
}
