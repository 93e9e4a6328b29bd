/**
 * A tunnel's counters (src/tunnel TunnelStats) as the status file shows them (src/platform
 * TunnelStatus), for the hub and the agent alike. The status file speaks of a path a person can
 * act on: `up`, `resuming` (the path broke; the session waits for its agent or the agent retries
 * within the resume window), `connecting` (no session yet) and `down` (ended).
 */
import type { TunnelStatus } from './platform/index.js';
import type { TunnelStats } from './tunnel/index.js';

export type TunnelPathState = 'connecting' | 'up' | 'resuming' | 'down';

/** `resumable`: the session has a resume token (it was open once), so a broken path is resuming. */
export function tunnelPathState(state: TunnelStats['state'], resumable: boolean): TunnelPathState {
  switch (state) {
    case 'open':
      return 'up';
    case 'disconnected':
      return 'resuming';
    case 'reconnecting':
      return resumable ? 'resuming' : 'connecting';
    case 'connecting':
    case 'handshaking':
      return resumable ? 'resuming' : 'connecting';
    case 'closed':
      return 'down';
  }
}

export function tunnelStatusOf(stats: TunnelStats, peer: string, resumable: boolean): TunnelStatus {
  const carriage = stats.peer?.carriage;
  return {
    state: tunnelPathState(stats.state, resumable),
    peer,
    ...(carriage === 'tls' || carriage === 'wss' ? { carriage } : {}),
    ...(stats.rttMs === undefined ? {} : { rttMs: Math.round(stats.rttMs * 1000) / 1000 }),
    uptimeMs: Math.round(stats.uptimeMs),
    reconnects: stats.reconnects,
    sent: stats.sent,
    received: stats.received,
    droppedDatagrams: stats.datagrams.dropped,
  };
}
