/**
 * The fuzz targets: each decodes untrusted bytes the way the program does when they arrive from
 * the network (or a peer's file), with the seeds it starts from and the one error family it may
 * throw (its own typed decode error, an SbcError with one of the listed codes). Anything else (a
 * TypeError, a RangeError, an error of another family) is a finding.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SbcError, type ErrorCode } from '../../src/core/index.js';
import { checkRequestPath, decodeFetchRequest, encodeFetchRequest, macsInPath, readSubscribe } from '../../src/pnp/index.js';
import { parseRtcpPackets, parseRtpHeader } from '../../src/rtp/index.js';
import { parseSdp, serializeSdp } from '../../src/sdp/index.js';
import { MAX_MESSAGE_SIZE, PROXY_REQUEST_POLICY, SipStreamFramer, parseMessage, serializeMessage, validateRequest } from '../../src/sip/index.js';
import { StunStreamFramer, decodeStun } from '../../src/stun/index.js';
import {
  ALL_CAPABILITIES, Flag, FrameDecoder, FrameType, decodeGoAway, decodeHello, decodeResume, decodeWindowUpdate, encodeFrames, encodeGoAway, encodeHello,
  encodeResume, encodeWindowUpdate, type Frame,
} from '../../src/tunnel/index.js';
import { decodeLabel, decodePing } from '../../src/tunnel/control.js';
import { GoAwayReason } from '../../src/tunnel/errors.js';
import { parseEnrollRequest, parseEnrollResponse, serializeEnrollRequest } from '../../src/tunnel/enrollment/messages.js';

export const TARGET_NAMES = ['sip', 'sdp', 'stun', 'tunnel', 'rtp', 'pnp', 'enroll'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface FuzzTarget {
  readonly name: TargetName;
  /** The inputs mutations start from. */
  seeds(): Buffer[];
  /** Decodes one input; throws only the target's own typed errors. */
  run(input: Buffer): void;
  /** The SbcError codes this target may throw for bad input. */
  readonly allowed: ReadonlySet<ErrorCode>;
}

const ROOT = new URL('../../../', import.meta.url).pathname;
const VECTORS = join(ROOT, 'test/vectors/data');
const SEEDS = join(ROOT, 'bench/fuzz/seeds');

function filesUnder(dir: string, suffix: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, suffix));
    else if (name.endsWith(suffix)) out.push(readFileSync(path));
  }
  return out;
}

function sipSeeds(): Buffer[] {
  return filesUnder(join(VECTORS, 'sip-torture'), '.dat');
}

/** An error the target may throw: its own family's code. Anything else is rethrown as a finding. */
export function isAllowed(target: FuzzTarget, error: unknown): boolean {
  return error instanceof SbcError && target.allowed.has(error.code);
}

/**
 * Runs every decoder on the input: an error outside `allowed` is rethrown at once (a finding); the
 * input counts as refused only when every decoder refused it with an allowed error.
 */
function eachDecoder(allowed: ReadonlySet<ErrorCode>, decoders: readonly (() => void)[]): void {
  let refusal: unknown;
  let acceptedByOne = false;
  for (const decode of decoders) {
    try {
      decode();
      acceptedByOne = true;
    } catch (error) {
      if (!(error instanceof SbcError && allowed.has(error.code))) throw error;
      refusal ??= error;
    }
  }
  if (!acceptedByOne) throw refusal;
}

const PHONE_SDP = [
  'v=0', 'o=- 1 1 IN IP4 192.168.1.20', 's=-', 'c=IN IP4 192.168.1.20', 't=0 0',
  'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
  'a=rtcp:4001', 'a=sendrecv', 'a=ptime:20',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', '',
].join('\r\n');

const SRTP_SDP = [
  'v=0', 'o=phone 2 3 IN IP6 2001:db8::5', 's=call', 'c=IN IP6 2001:db8::5', 't=0 0',
  'm=audio 5004 RTP/SAVP 9 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
  'a=rtcp-mux', 'a=sendonly', 'a=candidate:1 1 UDP 2130706431 2001:db8::5 5004 typ host', '',
].join('\r\n');

function sdpSeeds(): Buffer[] {
  const fromTorture = sipSeeds().map((m) => m.subarray(m.indexOf('\r\n\r\n') + 4)).filter((b) => b.toString('latin1').startsWith('v=0'));
  return [Buffer.from(PHONE_SDP), Buffer.from(SRTP_SDP), ...fromTorture];
}

function tunnelSeeds(): Buffer[] {
  const frame = (type: number, flags: number, id: number, payload: Buffer): Frame => ({ version: 1, type: type as Frame['type'], flags, id, payload });
  const token = Buffer.alloc(32, 0xab);
  const hello = encodeHello({ versions: [1], capabilities: ALL_CAPABILITIES, identity: 'paris-office', resumeToken: token, resumeWindow: 0 });
  return [
    encodeFrames([frame(FrameType.HELLO, Flag.SYN, 0, hello)]),
    encodeFrames([frame(FrameType.RESUME, Flag.SYN, 0, encodeResume({ versions: [1], resumeToken: token, streams: [{ id: 1, receivedSeq: 12 }, { id: 3, receivedSeq: 0 }] }))]),
    encodeFrames([frame(FrameType.DATA, Flag.SYN, 1, Buffer.from('sip/1')), frame(FrameType.DATA, 0, 1, Buffer.from('INVITE sip:a@b SIP/2.0\r\n\r\n'))]),
    encodeFrames([frame(FrameType.DATAGRAM, 0, 7, Buffer.alloc(172, 0x80)), frame(FrameType.PING, 0, 0, Buffer.alloc(8, 1))]),
    encodeFrames([frame(FrameType.WINDOW_UPDATE, 0, 1, encodeWindowUpdate({ delta: 65536, ackSeq: 3 })), frame(FrameType.GO_AWAY, 0, 0, encodeGoAway({ reason: GoAwayReason.SUPERSEDED, message: 'bye' }))]),
    encodeFrames([frame(FrameType.CONFIG, Flag.SYN, 3, Buffer.from('{"kind":"routing-snapshot"}'))]),
  ];
}

function rtpSeeds(): Buffer[] {
  const rtp = Buffer.alloc(172);
  rtp.writeUInt16BE(0x8000, 0);
  rtp.writeUInt16BE(4711, 2);
  rtp.writeUInt32BE(160 * 9, 4);
  rtp.writeUInt32BE(0xdeadbeef, 8);
  const withExtension = Buffer.concat([Buffer.from([0x90, 0xe5, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]), Buffer.alloc(20)]);
  const receiverReport = Buffer.from([0x81, 0xc9, 0, 7, 0, 0, 0, 1, ...Array.from({ length: 24 }, () => 0)]);
  const senderReportAndBye = Buffer.from([0x80, 0xc8, 0, 6, ...Array.from({ length: 24 }, () => 7), 0x81, 0xcb, 0, 1, 0, 0, 0, 1]);
  return [rtp, withExtension, receiverReport, senderReportAndBye];
}

function enrollSeeds(): Buffer[] {
  const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n';
  const success = { sbc: { id: 'x1', name: 'paris' }, certificate: csr, caCertificate: csr, hub: { name: 'hub', tunnel: { host: 'hub.example.net', port: 5090 }, wss: { url: 'wss://hub.example.net/tunnel' } } };
  return [
    Buffer.from(serializeEnrollRequest({ key: 'k'.repeat(43), csr })),
    Buffer.from(JSON.stringify(success)),
    Buffer.from(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down', retryAfterSeconds: 30 } })),
  ];
}

export const TARGETS: Readonly<Record<TargetName, FuzzTarget>> = {
  sip: {
    name: 'sip',
    seeds: sipSeeds,
    allowed: new Set(['SBC_ERR_SIP_PARSE', 'SBC_ERR_SIP_FRAMING']),
    run(input) {
      const message = parseMessage(input);
      if (message.kind === 'request') validateRequest(message, PROXY_REQUEST_POLICY);
      serializeMessage(message);
      // The same bytes on a stream, cut in two pieces.
      const framer = new SipStreamFramer({ maxMessageSize: MAX_MESSAGE_SIZE });
      const cut = input.length >>> 1;
      framer.push(input.subarray(0, cut));
      framer.push(input.subarray(cut));
    },
  },
  sdp: {
    name: 'sdp',
    seeds: sdpSeeds,
    allowed: new Set(['SBC_ERR_SDP_PARSE']),
    run(input) {
      serializeSdp(parseSdp(input));
    },
  },
  stun: {
    name: 'stun',
    seeds: () => [...filesUnder(join(VECTORS, 'stun-rfc5769'), '.bin')],
    allowed: new Set(['SBC_ERR_STUN_DECODE']),
    run(input) {
      decodeStun(input);
      const framer = new StunStreamFramer();
      for (const message of framer.push(input)) decodeStun(message);
    },
  },
  tunnel: {
    name: 'tunnel',
    seeds: tunnelSeeds,
    allowed: new Set(['SBC_ERR_TUNNEL_PROTOCOL']),
    run(input) {
      const decoder = new FrameDecoder();
      decoder.push(input, (frame) => {
        // Each control payload through its own decoder, as the session does by frame type.
        if (frame.type === FrameType.HELLO) decodeHello(frame.payload);
        else if (frame.type === FrameType.RESUME) decodeResume(frame.payload);
        else if (frame.type === FrameType.GO_AWAY) decodeGoAway(frame.payload);
        else if (frame.type === FrameType.WINDOW_UPDATE) decodeWindowUpdate(frame.payload);
        else if (frame.type === FrameType.PING) decodePing(frame.payload);
        else if (frame.type === FrameType.DATA && (frame.flags & Flag.SYN) !== 0) decodeLabel(frame.payload);
      });
    },
  },
  rtp: {
    name: 'rtp',
    seeds: rtpSeeds,
    allowed: new Set(['SBC_ERR_RTP_PARSE']),
    run(input) {
      eachDecoder(this.allowed, [() => parseRtpHeader(input), () => parseRtcpPackets(input)]);
    },
  },
  pnp: {
    name: 'pnp',
    seeds: () => filesUnder(join(SEEDS, 'pnp'), '.sip'),
    allowed: new Set(['SBC_ERR_SIP_PARSE', 'SBC_ERR_PROVISIONING_FETCH']),
    run(input) {
      const path = input.toString('latin1');
      eachDecoder(this.allowed, [
        () => {
          const message = parseMessage(input);
          if (message.kind === 'request') readSubscribe(message);
        },
        // The relay's path checks and the tunnel fetch message, on the same bytes.
        () => {
          checkRequestPath(path);
          macsInPath(path);
          decodeFetchRequest(encodeFetchRequest({ path: path.slice(0, 200), query: '' }));
        },
        () => decodeFetchRequest(input),
      ]);
    },
  },
  enroll: {
    name: 'enroll',
    seeds: enrollSeeds,
    allowed: new Set(['SBC_ERR_ENROLL']),
    run(input) {
      eachDecoder(this.allowed, [() => parseEnrollRequest(input), () => parseEnrollResponse(200, input), () => parseEnrollResponse(403, input)]);
    },
  },
};
