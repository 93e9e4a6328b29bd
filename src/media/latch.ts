/**
 * Symmetric RTP latching (RFC 4961; the "comedia" practice): the relay sends a stream's RTP
 * back to the address and port it arrives from, because a phone behind a NAT receives only
 * where its own packets left from, and the address in its SDP may be private.
 *
 * The rule, per leg:
 * - 'sdp-ip' (default when the SDP address is routable, loopback included): the first packet
 *   whose source IP equals the SDP connection address, or the address the endpoint's SIP
 *   came from, latches, whatever its source port (a NAT may change the port).
 * - 'any' (default when the SDP address is private or unroutable, RFC 1918/6598/3927/4193,
 *   and differs from the SIP source address, which means the phone is behind a NAT or a SIP
 *   ALG mangled its SDP): the first packet from any source latches.
 * Before the latch the relay sends to the SDP address and port (nowhere for c=0.0.0.0 or
 * port 0). After the latch, packets from other sources are dropped, unless the latched
 * source has been silent for `relatchAfterMs` (a NAT rebinding) and the newcomer passes the
 * rule, or the SDP changes (a new offer/answer calls setRemote).
 */
import type { SocketAddress } from '../net/index.js';
import { isHoldAddress, isPrivateAddress } from '../sdp/index.js';

export type LatchRule = 'sdp-ip' | 'any';

/**
 * One spelling per address, so an SDP's "2001:DB8:0::1" matches the socket's "2001:db8::1"
 * and a dual-stack socket's "::ffff:192.0.2.1" matches "192.0.2.1". The WHATWG URL parser
 * canonicalises IPv6 literals (RFC 5952 form) without any socket module.
 */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  let host: string;
  try {
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped === null) return host;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

export function latchRuleFor(sdpAddress: string, signalingAddress?: string): LatchRule {
  if (isPrivateAddress(sdpAddress) && sdpAddress !== signalingAddress) return 'any';
  return 'sdp-ip';
}

export interface LatchTarget {
  readonly address: string;
  readonly port: number;
}

export class Latch {
  readonly #expected: LatchTarget | undefined;
  readonly #rule: LatchRule;
  readonly #signalingAddress: string | undefined;
  readonly #relatchAfterMs: number;
  #latched: LatchTarget | undefined;
  #lastFromLatched = 0;

  constructor(expected: LatchTarget | undefined, rule: LatchRule, signalingAddress: string | undefined, relatchAfterMs: number) {
    this.#expected = expected;
    this.#rule = rule;
    this.#signalingAddress = signalingAddress;
    this.#relatchAfterMs = relatchAfterMs;
  }

  get rule(): LatchRule {
    return this.#rule;
  }

  get latched(): LatchTarget | undefined {
    return this.#latched;
  }

  /** Where to send: the latched source, else the SDP address (none for a hold address or port 0). */
  get target(): LatchTarget | undefined {
    if (this.#latched !== undefined) return this.#latched;
    const e = this.#expected;
    if (e === undefined || e.port === 0 || isHoldAddress(e.address)) return undefined;
    return e;
  }

  #allowed(from: SocketAddress): boolean {
    if (this.#rule === 'any') return true;
    const source = canonicalAddress(from.address);
    return (
      (this.#expected !== undefined && source === canonicalAddress(this.#expected.address)) ||
      (this.#signalingAddress !== undefined && source === canonicalAddress(this.#signalingAddress))
    );
  }

  /**
   * Whether a packet from `from` at time `now` is accepted; 'latched' when it (re)latches.
   */
  accept(from: SocketAddress, now: number): 'accepted' | 'latched' | 'rejected' {
    const l = this.#latched;
    if (l !== undefined && l.address === from.address && l.port === from.port) {
      this.#lastFromLatched = now;
      return 'accepted';
    }
    if (!this.#allowed(from)) return 'rejected';
    if (l !== undefined && now - this.#lastFromLatched < this.#relatchAfterMs) return 'rejected';
    this.#latched = { address: from.address, port: from.port };
    this.#lastFromLatched = now;
    return 'latched';
  }
}
