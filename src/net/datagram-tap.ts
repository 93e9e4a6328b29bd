/**
 * One process-wide tap on the UDP sockets of src/net (SIP, STUN, PnP, media relay legs), for
 * `sbc-agent capture`: while a tap is set, every datagram a UdpSocket sends or receives is handed
 * to it with both ends. Unset (always, but during a capture) the sockets pay one comparison per
 * datagram and nothing more.
 */
import type { SocketAddress } from './types.js';

export type DatagramTap = (data: Buffer, local: SocketAddress, remote: { readonly address: string; readonly port: number }, direction: 'in' | 'out') => void;

/** Read by UdpSocket on each datagram (an ES module live binding). */
export let datagramTap: DatagramTap | undefined;

/** Sets the tap (or removes it with undefined); returns the tap it replaced. */
export function setDatagramTap(tap: DatagramTap | undefined): DatagramTap | undefined {
  const before = datagramTap;
  datagramTap = tap;
  return before;
}
