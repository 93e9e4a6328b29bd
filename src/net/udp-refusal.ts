/**
 * ICMP port unreachable for clients whose UDP socket is unconnected (a SIP stack talks to many
 * peers from one socket, the STUN client to several server addresses): such a socket never hears
 * the ICMP error, so a closed port would fail only after the protocol's own timeout (SIP Timer F
 * 32 s, STUN Ti 39.5 s). A connected socket beside it sends a harmless probe to the same address
 * and rejects with ECONNREFUSED when the peer's host says nothing listens there.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errnoCode } from '../core/index.js';

/** When to send the probe: ICMP errors are rate-limited by the peer's kernel, so more than once. */
export const REFUSAL_PROBE_SCHEDULE_MS: readonly number[] = [0, 250, 1000, 3000];

export interface UdpRefusalWatch {
  /** Rejects with the ECONNREFUSED error; never resolves. */
  readonly refused: Promise<never>;
  close(): void;
}

/** `address` is an IP literal; `probe` makes each datagram sent (a STUN binding request, a SIP CRLF keep-alive). */
export function watchUdpRefusal(address: string, port: number, probe: () => Buffer, schedule: readonly number[] = REFUSAL_PROBE_SCHEDULE_MS): UdpRefusalWatch {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const refused = new Promise<never>((_, reject) => {
    socket.on('error', (error) => {
      if (errnoCode(error) === 'ECONNREFUSED') reject(error);
    });
    socket.connect(port, address, () => {
      for (const at of schedule) {
        timers.push(setTimeout(() => {
          if (!closed) socket.send(probe(), () => undefined);
        }, at));
      }
    });
  });
  refused.catch(() => undefined);
  return {
    refused,
    close: () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      socket.close();
    },
  };
}
