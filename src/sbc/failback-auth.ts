/**
 * Failback after survival (issue 12) into a PBX that challenges: a restarted registrar no longer
 * knows the nonce of the phone's last credentials, which the agent replays (re-register.ts), and
 * answers 401 or 407. With a routing model the agent holds each extension's HA1
 * (MD5(user ":" realm ":" password), never the password), which is all a digest client needs
 * (RFC 7616 §3.4.2: A1's hash for MD5 is the HA1). So it answers the challenge once itself, as the
 * phone would have: same request, CSeq one higher and a new branch (RFC 3261 §22.2), credentials
 * for the challenge's realm. Without a model, or for a user or realm the model does not know, the
 * binding waits for its phone's next refresh as before.
 */
import {
  AuthFailure, DigestClient, DigestParseError, getHeader, getHeaders, parseDigestChallenges, parseDigestCredentials, withCredentials, withHeader,
  type DigestClientOptions, type SipRequest, type SipResponse,
} from '../sip/index.js';
import type { LastRegister } from './re-register.js';
import { cseqOf, setHeaderList, sipUri, TUNNEL_HOST } from './sip-edit.js';

/** The HA1 the routing model holds for `username` in `realm` (an enabled extension), if any. */
export type Ha1Lookup = (username: string, realm: string) => string | undefined;

/** The username the phone authenticated as (its last credentials), else the user part of To. */
function usernameOf(request: SipRequest): string | undefined {
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    const value = getHeader(request, name);
    if (value === undefined) continue;
    try {
      return parseDigestCredentials(value).username;
    } catch (error) {
      if (!(error instanceof DigestParseError)) throw error;
    }
  }
  const to = getHeader(request, 'To') ?? '';
  return sipUri(/<([^>]*)>/.exec(to)?.[1] ?? to.split(';')[0]?.trim() ?? '')?.user;
}

/** The realms the challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) names, in order. */
function challengedRealms(response: SipResponse): string[] {
  const name = response.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return getHeaders(response, name).flatMap((value) => {
    try {
      return parseDigestChallenges(value).map((c) => c.realm);
    } catch (error) {
      if (error instanceof DigestParseError) return [];
      throw error;
    }
  });
}

/**
 * `last` (the failback REGISTER that drew `response`, a 401 or 407) sent again with credentials
 * made from the model's HA1: CSeq + 1 on both views, the tunnel Via's branch `branch`. Undefined
 * when it cannot be answered (not a challenge, no HA1 for the user and realm, no MD5 challenge).
 */
export function answerFailbackChallenge(last: LastRegister, response: SipResponse, branch: string, ha1For: Ha1Lookup, random?: DigestClientOptions['random']): LastRegister | undefined {
  if (response.status !== 401 && response.status !== 407) return undefined;
  const username = usernameOf(last.sent);
  const realm = challengedRealms(response)[0];
  if (username === undefined || realm === undefined) return undefined;
  const ha1 = ha1For(username, realm);
  if (ha1 === undefined) return undefined;
  let credentials;
  try {
    credentials = new DigestClient({ username, ha1, ...(random === undefined ? {} : { random }) }).answer(response, { method: 'REGISTER', uri: last.sent.uri });
  } catch (error) {
    if (error instanceof AuthFailure) return undefined;
    throw error;
  }
  const cseq = `${cseqOf(last.sent).seq + 1} REGISTER`;
  const sent = withCredentials({ ...last.sent, headers: withHeader(last.sent.headers, 'CSeq', cseq) }, credentials);
  return {
    source: last.source,
    fromPhone: { ...last.fromPhone, headers: withHeader(last.fromPhone.headers, 'CSeq', cseq) },
    sent: { ...sent, headers: setHeaderList(sent.headers, 'Via', [`SIP/2.0/TCP ${TUNNEL_HOST};branch=${branch}`]) },
  };
}
