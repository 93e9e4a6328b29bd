/**
 * `hub.pbx: builtin` and `hub.builtinPbx` (issue 12, "the quick start becomes a PBX in a box"):
 * the hub runs the routing core itself as the PBX of `hub.routing`'s model. Its call path then
 * meets that PBX over loopback as it would meet Kamailio, so `hub.pbx` is filled in with the
 * built-in PBX's own listener and everything downstream (probe, call path) stays as it is.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { integer, listen, optionalString, portRange, section, type Obj } from './fields.js';
import type { BuiltinPbxConfig, HubCallPathConfig } from './schema.js';

/** The string that turns the built-in PBX on. */
export const BUILTIN_PBX = 'builtin';

export const DEFAULT_BUILTIN_PBX: BuiltinPbxConfig = {
  sip: { listen: '127.0.0.1', port: 5070 },
  media: { address: '127.0.0.1', ports: { min: 31000, max: 31999 } },
};

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Where the hub reaches a listener bound to `address` (a wildcard: over loopback). */
function reachable(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

/** `hub.builtinPbx`: its SIP listener, media address and ports. */
export function builtinPbxSection(value: unknown): BuiltinPbxConfig {
  const path = 'hub.builtinPbx';
  const d = DEFAULT_BUILTIN_PBX;
  const obj = section(value, path, ['listen', 'port', 'media']);
  const sip = listen({ listen: obj['listen'], port: obj['port'] }, path, d.sip);
  const mediaObj = section(obj['media'], `${path}.media`, ['address', 'ports', 'musicOnHold']);
  const musicOnHold = optionalString(mediaObj, 'musicOnHold', `${path}.media`);
  if (musicOnHold?.trim() === '') throw new ConfigError(`${path}.media.musicOnHold`, 'must name a WAV file (or be left out)');
  const address = mediaObj['address'] === undefined ? reachable(sip.listen) : mediaObj['address'];
  if (typeof address !== 'string' || !isIpLiteral(address) || WILDCARDS.has(address)) {
    throw new ConfigError(`${path}.media.address`, `'${String(address)}' is not a unicast IP address (it is written in SDP)`);
  }
  return { sip, media: { address, ports: portRange(mediaObj['ports'], `${path}.media.ports`, d.media.ports), ...(musicOnHold === undefined ? {} : { musicOnHold }) } };
}

/**
 * `hub.pbx: builtin`: the call path of the hub toward its own PBX. `hub.sip` defaults to 127.0.0.1
 * (the built-in PBX is reached over loopback), `hub.pbx.probeInterval` is 1 s with 3 failures as
 * for any PBX (the built-in one answers OPTIONS).
 */
export function builtinCallPath(hubObj: Obj, sipObj: Obj, mediaObj: Obj): HubCallPathConfig {
  if (hubObj['routing'] === undefined) throw new ConfigError('hub.pbx', "'builtin' routes calls by the routing model: set hub.routing to its file");
  const builtin = builtinPbxSection(hubObj['builtinPbx']);
  const sipListen = sipObj['listen'] === undefined ? '127.0.0.1' : sipObj['listen'];
  if (typeof sipListen !== 'string' || !isIpLiteral(sipListen) || WILDCARDS.has(sipListen)) {
    throw new ConfigError('hub.sip.listen', 'must be the IP address the hub meets its built-in PBX from (default 127.0.0.1; not 0.0.0.0 or ::)');
  }
  const sipPort = integer(sipObj, 'port', 'hub.sip', 5060, 0, 65535);
  const pbxHost = reachable(builtin.sip.listen);
  if (sipPort === builtin.sip.port && (sipListen === pbxHost || WILDCARDS.has(builtin.sip.listen))) {
    throw new ConfigError('hub.builtinPbx.port', `must differ from hub.sip.port (${sipPort}): both listen on ${sipListen}`);
  }
  const portsObj = section(mediaObj['ports'], 'hub.media.ports', ['min', 'max']);
  const mediaAddress = mediaObj['address'] === undefined ? sipListen : mediaObj['address'];
  if (typeof mediaAddress !== 'string' || !isIpLiteral(mediaAddress) || WILDCARDS.has(mediaAddress)) throw new ConfigError('hub.media.address', `'${String(mediaAddress)}' is not a unicast IP address (it is written in SDP)`);
  const min = integer(portsObj, 'min', 'hub.media.ports', 20000, 1024, 65534);
  const max = integer(portsObj, 'max', 'hub.media.ports', Math.max(min + 1, 29999), 1025, 65535);
  if (max <= min) throw new ConfigError('hub.media.ports.max', 'must be greater than hub.media.ports.min');
  return {
    pbx: { host: pbxHost, port: builtin.sip.port, transport: 'udp', probeIntervalMs: 1000, probeFailures: 3 },
    sip: { listen: sipListen, port: sipPort },
    media: { address: mediaAddress, ports: { min, max } },
    builtin,
  };
}
