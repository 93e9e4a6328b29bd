/**
 * Failback after survival (issue 12): the agent sends each binding's last REGISTER upstream again,
 * so a PBX that restarted with an empty location table has the branch phones back without any
 * phone re-registering. The copy is a new registration (RFC 3261 §10.2: a fresh Call-ID, CSeq 1),
 * not a refresh of the phone's own: the phone's next refresh, relayed with its own Call-ID and
 * CSeq, then never looks out of order to the registrar (§10.3 step 7), which matches both by the
 * contact. Its credentials are the phone's last ones: a registrar that kept its nonce accepts them;
 * one that restarted challenges, and the agent answers from the routing model's HA1
 * (failback-auth.ts); with no model, that binding waits for its phone's next refresh.
 */
import { randomBytes } from 'node:crypto';
import { withHeader, type SipRequest, type TransactionSource } from '../sip/index.js';
import { TUNNEL_HOST, setHeaderList } from './sip-edit.js';

/** The last REGISTER relayed upstream for a phone contact, and the phone-side request it came from. */
export interface LastRegister {
  /** The tunnel-side view of the phone's request (what the registration cache stores from). */
  readonly fromPhone: SipRequest;
  /** What went up the tunnel. */
  readonly sent: SipRequest;
  /** The phone's flow (its contact token is minted from it). */
  readonly source: TransactionSource;
}

/** `last` as a new registration: a fresh Call-ID and CSeq 1 on both views, a new tunnel branch. */
export function reRegisterRequest(last: LastRegister, branch: string): LastRegister {
  const callId = `rr-${randomBytes(12).toString('hex')}@${TUNNEL_HOST}`;
  const renew = (r: SipRequest): SipRequest => ({ ...r, headers: withHeader(withHeader(r.headers, 'Call-ID', callId), 'CSeq', '1 REGISTER') });
  const sent = renew(last.sent);
  return { source: last.source, fromPhone: renew(last.fromPhone), sent: { ...sent, headers: setHeaderList(sent.headers, 'Via', [`SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}`]) } };
}
