/**
 * The NAT check `sbc-agent run` makes at start when `agent.stun.server` is set: the RFC 5780
 * mapping and filtering behaviour toward the hub side, for `status` (what the NAT in front of the
 * branch does to SIP and RTP that does not go through the tunnel).
 */
import { isIPv6 } from 'node:net';
import { describeError, realClock } from '../core/index.js';
import { bindUdp, localAddressToward } from '../net/index.js';
import { StunClient, discoverNatBehaviour, formatEndpoint, natVerdict } from '../stun/index.js';
import { parseHostPort, resolveEndpoint } from './stun.js';

export type NatStatus =
  | { readonly state: 'not configured' }
  | { readonly state: 'checking'; readonly server: string }
  | { readonly state: 'done'; readonly server: string; readonly mappedAddress: string; readonly natPresent: boolean | null; readonly mapping: string | null; readonly filtering: string | null; readonly hairpin: boolean | null; readonly verdict: string }
  | { readonly state: 'failed'; readonly server: string; readonly error: string };

export async function checkNat(serverText: string, timeoutMs = 5000): Promise<NatStatus> {
  try {
    const { host, port } = parseHostPort(serverText, 3478, 'agent.stun.server');
    const server = await resolveEndpoint(host, port);
    const socket = await bindUdp({ address: isIPv6(server.address) ? '::' : '0.0.0.0', port: 0 });
    const client = new StunClient({ socket, clock: realClock });
    try {
      const toward = await localAddressToward(server.address, server.port);
      const report = await discoverNatBehaviour({
        client, server, timeoutMs, probeTimeoutMs: Math.min(timeoutMs, 3000),
        ...(toward === undefined ? {} : { localAddress: { ...toward, port: socket.local.port } }),
      });
      return {
        state: 'done', server: serverText, mappedAddress: formatEndpoint(report.mappedAddress), natPresent: report.natPresent ?? null,
        mapping: report.mapping ?? null, filtering: report.filtering ?? null, hairpin: report.hairpin ?? null, verdict: natVerdict(report),
      };
    } finally {
      client.close();
      await socket.close();
    }
  } catch (error) {
    return { state: 'failed', server: serverText, error: describeError(error) };
  }
}
