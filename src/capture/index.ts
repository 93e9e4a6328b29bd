// Packet captures of the agent's LAN-side UDP (SIP, RTP) for `sbc-agent capture` (issue 15).
export { CAPTURE_MAX_BYTES, CaptureRecorder, sdpMediaEndpoints, sipCallId, type CaptureOptions } from './recorder.js';
export { LINKTYPE_RAW, PCAP_HEADER_BYTES, PCAP_RECORD_HEADER_BYTES, PCAP_SNAPLEN, addressBytes, pcapGlobalHeader, pcapRecord, rawUdpPacket, type CapturedDatagram, type UdpEndpoint } from './pcap.js';
export { captureFor, captureRunning, type CaptureRequest, type CaptureResult } from './session.js';
