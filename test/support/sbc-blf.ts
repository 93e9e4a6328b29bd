/**
 * SIPp scenarios of the BLF end-to-end test (RFC 6665, RFC 4235 dialog event package):
 * a notifier beside Kamailio that serves the dialog state of one extension (the phone rings,
 * then answers), and watchers in the branch that subscribe to it through the agent, check that
 * they see `early` then `confirmed`, and unsubscribe. blfPresenceWatchers does the same against a
 * real presence server (Kamailio with presence_dialoginfo), whose NOTIFY sequence is not fixed.
 */
import { PBX_DOMAIN } from './sbc-kamailio.js';

const dialogInfo = (version: number, state: string | undefined): string => [
  '<?xml version="1.0"?>',
  `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="sip:[service]@${PBX_DOMAIN}">`,
  ...(state === undefined ? [] : [`<dialog id="call1" direction="recipient"><state>${state}</state></dialog>`]),
  '</dialog-info>',
].join('\n');

const notify = (cseq: number, subState: string, body: string): string => `
  <send retrans="500"><![CDATA[
    NOTIFY [next_url] SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
    [routes]
    From: <sip:[service]@${PBX_DOMAIN}>;tag=[pid]n[call_number]
    To: [$subscriber]
    Call-ID: [call_id]
    CSeq: ${cseq} NOTIFY
    Max-Forwards: 70
    Contact: <sip:[service]@[local_ip]:[local_port]>
    Event: dialog
    Subscription-State: ${subState}
    Content-Type: application/dialog-info+xml
    Content-Length: [len]

${body}
  ]]></send>
  <recv response="200"/>`;

const ok = (to: string): string => `
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    ${to}
    [last_Call-ID:]
    [last_CSeq:]
    Content-Length: 0

  ]]></send>`;

/** UAS: one subscription (the test asserts there is only one), early → confirmed, then the unsubscribe. */
export const BLF_NOTIFIER = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="blf-notifier">
  <recv request="SUBSCRIBE" rrs="true">
    <action><ereg regexp="&lt;[^\\r\\n]*" search_in="hdr" header="From:" check_it="true" assign_to="subscriber"/></action>
  </recv>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:];tag=[pid]n[call_number]
    [last_Call-ID:]
    [last_CSeq:]
    [last_Record-Route:]
    Contact: <sip:[service]@[local_ip]:[local_port]>
    Expires: 600
    Content-Length: 0

  ]]></send>
  ${notify(1, 'active;expires=600', dialogInfo(0, undefined))}
  <pause milliseconds="4000"/>
  ${notify(2, 'active;expires=596', dialogInfo(1, 'early'))}
  <pause milliseconds="1000"/>
  ${notify(3, 'active;expires=595', dialogInfo(2, 'confirmed'))}
  <recv request="SUBSCRIBE">
    <action><ereg regexp="Expires: *0" search_in="msg" check_it="true" assign_to="gone"/><log message="unsubscribed: [$gone]"/></action>
  </recv>
  ${ok('[last_To:]')}
  ${notify(4, 'terminated;reason=timeout', dialogInfo(3, 'confirmed'))}
</scenario>
`;

/** The watcher's first SUBSCRIBE (to the extension, through the agent) and the 200 whose To tag it keeps. */
const INITIAL_SUBSCRIBE = `  <send retrans="500"><![CDATA[
    SUBSCRIBE sip:[service]@${PBX_DOMAIN} SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:w[call_number]@branch.test>;tag=[pid]w[call_number]
    To: <sip:[service]@${PBX_DOMAIN}>
    Call-ID: [call_id]
    CSeq: 1 SUBSCRIBE
    Max-Forwards: 70
    Contact: <sip:w[call_number]@[local_ip]:[local_port]>
    Event: dialog
    Accept: application/dialog-info+xml
    Expires: 300
    Content-Length: 0

  ]]></send>
  <recv response="200">
    <action><ereg regexp="tag=[^;&gt; \\r\\n]+" search_in="hdr" header="To:" check_it="true" assign_to="totag"/></action>
  </recv>
`;

/** The in-dialog SUBSCRIBE with Expires: 0 that ends a watcher's subscription, and its 200. */
const unsubscribe = (agentContact: string): string => `  <send retrans="500"><![CDATA[
    SUBSCRIBE ${agentContact} SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:w[call_number]@branch.test>;tag=[pid]w[call_number]
    To: <sip:[service]@${PBX_DOMAIN}>;[$totag]
    Call-ID: [call_id]
    CSeq: 2 SUBSCRIBE
    Max-Forwards: 70
    Contact: <sip:w[call_number]@[local_ip]:[local_port]>
    Event: dialog
    Expires: 0
    Content-Length: 0

  ]]></send>
  <recv response="200"/>
`;

/** UAC, one call per watcher: subscribe, see idle → early → confirmed, unsubscribe, see terminated. */
export function blfWatchers(agentContact: string): string {
  const gotNotify = (regexp: string): string => `
  <recv request="NOTIFY">
    <action><ereg regexp="${regexp}" search_in="msg" check_it="true" assign_to="seen"/></action>
  </recv>
  ${ok('[last_To:]')}`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="blf-watchers">
${INITIAL_SUBSCRIBE}  ${gotNotify('Subscription-State: active')}
  ${gotNotify('state&gt;early')}
  ${gotNotify('state&gt;confirmed')}
  <!-- A phone keeps watching a while. Unsubscribing at once lets the last watcher's unsubscribe
       (relayed upstream) cross the 200 to the notifier's last NOTIFY on a loaded machine: both are
       UDP datagrams from the hub, and the SIPp notifier insists on their order. -->
  <pause milliseconds="500"/>
${unsubscribe(agentContact)}  ${gotNotify('Subscription-State: terminated')}
</scenario>
`;
}

/**
 * UAC, one call per watcher, for a real presence server (Kamailio's presence_dialoginfo fed by
 * pua_dialoginfo from a real call): subscribe, take NOTIFYs until one says `early`, then until
 * one says `confirmed` (a confirmed with no early before it keeps the watcher waiting, so it
 * fails when no NOTIFY comes for 20 s), unsubscribe, see terminated. NOTIFYs of other states (trying, the
 * initial one) are answered and skipped.
 */
export function blfPresenceWatchers(agentContact: string): string {
  const until = (label: number, next: number, regexp: string, variable: string): string => `
  <label id="${label}"/>
  <recv request="NOTIFY" timeout="20000">
    <action><ereg regexp="${regexp}" search_in="msg" check_it="false" assign_to="${variable}"/></action>
  </recv>
  ${ok('[last_To:]')}
  <nop next="${next}" test="${variable}"/>
  <nop next="${label}"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="blf-presence-watchers">
${INITIAL_SUBSCRIBE}  ${until(1, 2, 'state&gt;early', 'early')}
  ${until(2, 3, 'state&gt;confirmed', 'confirmed')}
  <label id="3"/>
${unsubscribe(agentContact)}  <recv request="NOTIFY">
    <action><ereg regexp="Subscription-State: terminated" search_in="msg" check_it="true" assign_to="gone"/><log message="terminated: [$gone]"/></action>
  </recv>
  ${ok('[last_To:]')}
</scenario>
`;
}
