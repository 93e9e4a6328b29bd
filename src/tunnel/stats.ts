/** What `sbc-agent status` shows of a tunnel (issue: state, peer, RTT, uptime, reconnects, bytes and frames, drops). */
import type { TunnelCarriageKind } from '../net/index.js';

export interface TunnelStats {
  readonly role: 'client' | 'server';
  readonly state: 'handshaking' | 'open' | 'disconnected' | 'closed' | 'connecting' | 'reconnecting';
  readonly version: number;
  readonly peer: { readonly identity: string; readonly address: string; readonly port: number; readonly carriage: TunnelCarriageKind; readonly fingerprint256: string } | undefined;
  /** Last PING round trip, milliseconds. */
  readonly rttMs: number | undefined;
  /** Time since the last byte was received (on the current or the last carriage). */
  readonly silentMs: number;
  /** Time since the current carriage came up (0 when down). */
  readonly uptimeMs: number;
  readonly sessionAgeMs: number;
  readonly reconnects: number;
  readonly resumes: number;
  readonly sent: { readonly bytes: number; readonly frames: number };
  readonly received: { readonly bytes: number; readonly frames: number };
  readonly datagrams: { readonly sent: number; readonly received: number; readonly dropped: number; readonly unknownChannel: number };
  readonly streams: number;
  readonly channels: number;
}
