/**
 * A capture of the agent's UDP traffic for `sbc-agent capture`: records what the sockets' tap
 * hands it, bounded in bytes (the oldest records go first), into a pcap file (pcap.ts). With a
 * Call-ID it keeps that call's SIP messages and the RTP/RTCP of the addresses their SDP names
 * (RFC 4566 `c=` and `m=` lines), both the phone's and the agent's relay ports.
 */
import type { Clock } from '../core/index.js';
import { PCAP_HEADER_BYTES, pcapGlobalHeader, pcapRecord, type UdpEndpoint } from './pcap.js';

/** The default bound of a capture's records: a few minutes of one G.711 call with room to spare. */
export const CAPTURE_MAX_BYTES = 32 * 1024 * 1024;

export interface CaptureOptions {
  readonly clock: Clock;
  /** Only this call's SIP and media; undefined: everything. */
  readonly callId?: string;
  readonly maxBytes?: number;
}

const SIP_START = /^(?:[A-Z]+ \S+ SIP\/2\.0\r?\n|SIP\/2\.0 \d{3}[^\r\n]*\r?\n)/;
const CALL_ID = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im;

/** The Call-ID of a SIP message, or undefined when the bytes are no SIP message. */
export function sipCallId(payload: Buffer): string | undefined {
  const head = payload.subarray(0, 2048).toString('latin1');
  if (!SIP_START.test(head)) return undefined;
  return CALL_ID.exec(head)?.[1];
}

/** The media addresses an SDP body names: `c=` with each `m=` port and the port above it (RTCP). */
export function sdpMediaEndpoints(text: string): string[] {
  const out: string[] = [];
  let sessionAddress: string | undefined;
  let mediaPorts: number[] = [];
  let mediaAddress: string | undefined;
  const flush = (): void => {
    const address = mediaAddress ?? sessionAddress;
    if (address !== undefined) for (const p of mediaPorts) out.push(`${address}|${p}`, `${address}|${p + 1}`);
    mediaPorts = [];
    mediaAddress = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    const c = /^c=IN IP[46] ([^\s/]+)/.exec(line);
    if (c !== null) {
      if (mediaPorts.length === 0 && out.length === 0 && mediaAddress === undefined) sessionAddress = c[1];
      else mediaAddress = c[1];
      continue;
    }
    const m = /^m=\S+ (\d+)/.exec(line);
    if (m !== null) {
      flush();
      const port = Number(m[1]);
      if (port > 0) mediaPorts.push(port);
    }
  }
  flush();
  return out;
}

export class CaptureRecorder {
  readonly #clock: Clock;
  readonly #callId: string | undefined;
  readonly #maxBytes: number;
  readonly #records: Buffer[] = [];
  #bytes = 0;
  #dropped = 0;
  /** `address|port` of the call's media (with --call). */
  readonly #media = new Set<string>();

  constructor(o: CaptureOptions) {
    this.#clock = o.clock;
    this.#callId = o.callId;
    this.#maxBytes = o.maxBytes ?? CAPTURE_MAX_BYTES;
  }

  /** Records dropped to stay within the bound. */
  get dropped(): number {
    return this.#dropped;
  }

  get records(): number {
    return this.#records.length;
  }

  /** The tap: one datagram from `source` to `destination`. */
  add(payload: Buffer, source: UdpEndpoint, destination: UdpEndpoint): void {
    if (this.#callId !== undefined && !this.#wanted(payload, source, destination)) return;
    const record = pcapRecord({ timeMs: this.#clock.wallNow(), source, destination, payload });
    this.#records.push(record);
    this.#bytes += record.length;
    while (this.#bytes > this.#maxBytes && this.#records.length > 0) {
      this.#bytes -= this.#records.shift()?.length ?? 0;
      this.#dropped++;
    }
  }

  #wanted(payload: Buffer, source: UdpEndpoint, destination: UdpEndpoint): boolean {
    const callId = sipCallId(payload);
    if (callId !== undefined) {
      if (callId !== this.#callId) return false;
      const text = payload.toString('latin1');
      const body = text.indexOf('\r\n\r\n');
      if (body >= 0) for (const e of sdpMediaEndpoints(text.slice(body + 4))) this.#media.add(e);
      return true;
    }
    return this.#media.has(`${source.address}|${source.port}`) || this.#media.has(`${destination.address}|${destination.port}`);
  }

  /** The pcap file of what was recorded. */
  pcap(): Buffer {
    return Buffer.concat([pcapGlobalHeader(), ...this.#records], PCAP_HEADER_BYTES + this.#bytes);
  }
}
