/**
 * SIPp scenarios (G.711 A-law with rtp_stream) and the Kamailio configuration of bench:calls.
 * The UAS also takes a BYE before the ACK: through a proxy with several worker processes a BYE
 * can overtake the ACK (reference §9.3), and a UAS that insists on the ACK first drops the call
 * and leaves its BYE unanswered (the proxy then answers 408). It waits 4 s after its 200 for the
 * BYE, so that a BYE retransmitted because that 200 was lost is answered again, not discarded as a
 * message for a dead call (which also ends in a 408 from the proxy).
 */
const SDP = `v=0
    o=- 1 1 IN IP4 [media_ip]
    s=-
    c=IN IP4 [media_ip]
    t=0 0
    m=audio [rtpstream_audio_port] RTP/AVP 8
    a=rtpmap:8 PCMA/8000
    a=ptime:20
`;

export const UAC_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac-g711-rtp">
  <send retrans="500"><![CDATA[
    INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>
    Call-ID: [call_id]
    CSeq: 1 INVITE
    Contact: <sip:load@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Type: application/sdp
    Content-Length: [len]

    ${SDP}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
    ACK [next_url] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 1 ACK
    [routes]
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <nop><action><exec rtp_stream="tone.al,-1,8"/></action></nop>
  <pause/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send retrans="500"><![CDATA[
    BYE [next_url] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 2 BYE
    [routes]
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`;

export const UAS_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas-g711-rtp">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:];tag=[pid]SIPpTag01[call_number]
    [last_Call-ID:]
    [last_CSeq:]
    [last_Record-Route:]
    Contact: <sip:uas@[local_ip]:[local_port]>
    Content-Type: application/sdp
    Content-Length: [len]

    ${SDP}
  ]]></send>
  <recv request="BYE" optional="true" next="bye"/>
  <recv request="ACK"/>
  <nop><action><exec rtp_stream="tone.al,-1,8"/></action></nop>
  <recv request="BYE"/>
  <label id="bye"/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send><![CDATA[
    SIP/2.0 200 OK
    [last_Via:]
    [last_From:]
    [last_To:]
    [last_Call-ID:]
    [last_CSeq:]
    Content-Length: 0

  ]]></send>
  <timewait milliseconds="4000"/>
</scenario>
`;

/**
 * Kamailio as a transaction-stateful proxy routing every new INVITE to the SIPp UAS at `uas`, with
 * rtpengine (ng protocol on loopback) anchoring the media. 8 UDP children, so that a child waiting
 * for rtpengine's ng answer does not hold up the others (each rtpengine_manage is a round trip).
 * maxbuffer: its UDP receive buffer may grow to 4 MiB, as the agent's and the hub's SIP sockets do;
 * at its default (256 KiB probed, 208 KiB granted) its SIP socket dropped 7,360 datagrams in a 5 s
 * step at 400 calls/s on this machine, and those calls failed with 408 for their BYE.
 */
export function benchKamailioConfig(address: string, port: number, uas: string): string {
  const manage = '\t\tif (has_body("application/sdp") || is_method("BYE|CANCEL")) rtpengine_manage("replace-origin replace-session-connection");\n';
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=8
auto_aliases=no
maxbuffer=4194304
listen=udp:${address}:${port}
loadpath "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:22222")
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (has_totag()) {
		if (loose_route()) {
${manage}			t_on_reply("REPLY");
			t_relay(); exit;
		}
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (!is_method("INVITE")) { sl_send_reply("405", "Not Allowed"); exit; }
	record_route();
	$du = "sip:${uas}";
${manage}	t_on_reply("REPLY");
	t_relay();
	exit;
}

onreply_route[REPLY] {
${manage.replace(' || is_method("BYE|CANCEL")', '')}	return;
}
`;
}
