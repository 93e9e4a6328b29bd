/**
 * The local address the kernel would use toward a peer (a connected UDP socket sends nothing).
 * The STUN command compares it with the mapped address to tell "no NAT" (RFC 5780 §4.3).
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SocketAddress } from './types.js';

export function localAddressToward(address: string, port: number): Promise<SocketAddress | undefined> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.connect(port, address, () => {
      const a = socket.address();
      socket.close();
      resolve({ address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' });
    });
  });
}
