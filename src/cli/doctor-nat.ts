/**
 * doctor's STUN NAT behaviour check: the verdict on the RFC 5780 report the agent's own NAT check
 * makes (run-nat.ts checkNat, toward `agent.stun.server`). It matters for what does not go through
 * the tunnel: remote phones and direct media. Never a failure: the tunnel works behind any NAT.
 * Pure (docs/STYLE.md rule 1), so each verdict is a table row in the unit tests.
 */
import type { CheckResult } from './doctor-checks.js';
import type { NatStatus } from './run-nat.js';

const TUNNEL_NOTE = 'phones on the LAN are not affected (their SIP and RTP go through the tunnel)';

export function natCheck(nat: NatStatus): CheckResult {
  const check = 'stun-nat';
  switch (nat.state) {
    case 'not configured':
      return { check, status: 'ok', says: 'STUN NAT behaviour not tested: no STUN server is configured (agent.stun.server); set one with two addresses (RFC 5780) to have it tested' };
    case 'checking':
      return { check, status: 'warn', says: `STUN NAT behaviour toward ${nat.server}: no result yet`, todo: 'run doctor again in a few seconds' };
    case 'failed':
      return {
        check, status: 'warn', says: `STUN NAT behaviour not tested: the STUN server ${nat.server} gave no answer (${nat.error})`,
        todo: `check agent.stun.server and that UDP to ${nat.server} may leave this network; ${TUNNEL_NOTE}`,
      };
    case 'done':
      break;
  }
  const seenAs = `the STUN server ${nat.server} sees this box as ${nat.mappedAddress}`;
  if (nat.natPresent === false) return { check, status: 'ok', says: `no NAT: ${seenAs}, its own address; phones can reach it once the firewall lets SIP and RTP in` };
  if (nat.mapping === null || nat.filtering === null) {
    return {
      check, status: 'warn', says: `NAT behaviour unknown: ${seenAs}, but the server does not support RFC 5780 (no OTHER-ADDRESS), so mapping and filtering cannot be tested`,
      todo: "set agent.stun.server to a server with two addresses (e.g. 'sbc-agent stun-server --alternate ADDR:PORT' on the hub side)",
    };
  }
  if (nat.mapping === 'endpoint-independent') {
    const filtering = nat.filtering === 'endpoint-independent'
      ? 'endpoint-independent filtering: packets get in from anyone once a phone has sent out'
      : `${nat.filtering} filtering: packets get in only from peers a phone has sent to first, so remote phones must keep their registration alive and use symmetric RTP`;
    return { check, status: 'ok', says: `endpoint-independent mapping: phones behind it can be reached (${seenAs}); ${filtering}` };
  }
  const kind = nat.mapping === 'address-and-port-dependent' ? 'symmetric NAT (address-and-port-dependent mapping)' : 'symmetric NAT (address-dependent mapping)';
  return {
    check, status: 'warn',
    says: `${kind}: remote phones need the tunnel; direct media will fail (the address STUN reports, ${nat.mappedAddress}, is not valid toward other peers)`,
    todo: `keep phones on the agent (outbound proxy, media through the tunnel), or give remote phones a TURN relay or forwarded SIP and RTP ports; ${TUNNEL_NOTE}`,
  };
}
