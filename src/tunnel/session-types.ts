/**
 * What a tunnel session (PROTOCOL.md) is given and what it reports: its role and state,
 * options, the events it emits and why it disconnected or closed.
 */
import type { Logger } from '../core/index.js';
import type { TunnelChannel } from './channel.js';
import type { GoAwayReasonCode } from './errors.js';
import type { TunnelStream } from './stream.js';

export type SessionRole = 'client' | 'server';
export type SessionState = 'handshaking' | 'open' | 'disconnected' | 'closed';

export interface SessionOptions {
  /** PING interval (PROTOCOL.md "Keep-alive"); default 1000 ms. */
  readonly pingIntervalMs?: number;
  /** Dead after this long without any received byte; default 3000 ms. */
  readonly deadAfterMs?: number;
  /** Datagrams queued per channel before the oldest is dropped; default 256. */
  readonly channelQueue?: number;
  readonly maxConfigBytes?: number;
  /** Bytes gathered into one carriage write; default 64 KiB. */
  readonly batchBytes?: number;
  /** Streams and channels the peer may hold open at once; more are refused (RST, FIN). Default 4096. */
  readonly maxStreams?: number;
  readonly maxChannels?: number;
  readonly logger?: Logger;
}

export type DisconnectReason = 'dead' | 'lost' | 'replaced';

export interface SessionCloseInfo {
  readonly reason: GoAwayReasonCode;
  readonly message: string;
  /** The peer sent the go-away (or the session was reset by a failed resume). */
  readonly byPeer: boolean;
}

export interface SessionEvents extends Record<string, unknown> {
  open: { resumed: boolean };
  disconnected: { reason: DisconnectReason; error: Error | undefined };
  stream: TunnelStream;
  channel: TunnelChannel;
  config: { id: number; data: Buffer };
  close: SessionCloseInfo;
}
