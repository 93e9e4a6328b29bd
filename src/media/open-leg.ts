/**
 * Opens a UdpRelayLeg on a pair from the pool. Sockets come from an injected binder (the
 * composition root passes src/net's bindUdp), so tests and the agent choose the address.
 */
import type { DatagramSocket } from '../net/index.js';
import type { PortPool } from './port-pool.js';
import { UdpRelayLeg, type UdpRelayLegOptions } from './udp-relay-leg.js';

export type UdpBinder = (port: number) => Promise<DatagramSocket>;

export interface OpenLegOptions extends Omit<UdpRelayLegOptions, 'rtp' | 'rtcp' | 'onClosed'> {
  /** Open the RTCP socket (port + 1) too; false when only rtcp-mux is used. Default true. */
  readonly openRtcp?: boolean;
  /** Pairs to try when a port is taken by another process. Default 8. */
  readonly attempts?: number;
}

/**
 * Rejects with MediaPortsExhaustedError when the pool has no pair left to try, or with the
 * last bind error after `attempts` pairs could not be bound.
 */
export async function openUdpRelayLeg(pool: PortPool, bind: UdpBinder, options: OpenLegOptions): Promise<UdpRelayLeg> {
  const attempts = options.attempts ?? 8;
  // Pairs that failed to bind stay allocated until this call ends, so the next try moves on.
  const failed: number[] = [];
  let lastError: unknown;
  try {
    for (let i = 0; i < attempts; i++) {
      const pair = pool.allocate();
      let rtp: DatagramSocket | undefined;
      try {
        rtp = await bind(pair.rtp);
        const rtcp = options.openRtcp === false ? undefined : await bind(pair.rtcp);
        return new UdpRelayLeg({ ...options, rtp, ...(rtcp === undefined ? {} : { rtcp }), onClosed: () => pool.free(pair.rtp) });
      } catch (error) {
        // A port held by another process (EADDRINUSE): try the next pair.
        lastError = error;
        await rtp?.close();
        failed.push(pair.rtp);
      }
    }
    throw lastError;
  } finally {
    for (const port of failed) pool.free(port);
  }
}
