/**
 * SIP on the tunnel: one reliable stream per tunnel session carries every SIP message of the
 * branch, one message per DATA frame (streams preserve frame boundaries, PROTOCOL.md "Streams",
 * so no Content-Length framing is needed). One multiplexed stream rather than one per phone flow:
 * SIP is small and rare next to RTP, the per-flow context lives in the agent's tables anyway, and a
 * single stream keeps the order of the messages of a dialog that moves between phone flows.
 * The agent opens it with the label SIP_STREAM_LABEL (PROTOCOL.md "Stream purpose"); the hub's
 * stream dispatcher has read the label before the stream reaches this link.
 */
import type { Logger } from '../core/index.js';
import { parseMessage, serializeMessage, type SipMessage } from '../sip/index.js';
import type { TunnelSession, TunnelStream } from '../tunnel/index.js';
import type { ChannelSource } from './call-media.js';

/** The first message of the SIP stream (PROTOCOL.md "Stream purpose"). */
export const SIP_STREAM_LABEL = 'sip/1';

/** LANs one agent may serve, each with its own SIP stream (PROTOCOL.md "Stream purpose"). */
export const MAX_AGENT_LANS = 8;

/** The SIP stream label of an agent's LAN: `sip/1` for the first (index 0), `sip-lanN/1` for the Nth. */
export function sipStreamLabel(lanIndex: number): string {
  if (!Number.isInteger(lanIndex) || lanIndex < 0 || lanIndex >= MAX_AGENT_LANS) throw new RangeError(`LAN index ${lanIndex} is not 0..${MAX_AGENT_LANS - 1}`);
  return lanIndex === 0 ? SIP_STREAM_LABEL : `sip-lan${lanIndex + 1}/1`;
}

/**
 * The name the hub gives one LAN of an agent as a SIP peer: the SBC identity for the first LAN,
 * `<identity>.lanN` for the others (so each LAN's registrations and dialogs route back to it).
 */
export function sipPeerName(identity: string, lanIndex: number): string {
  return lanIndex === 0 ? identity : `${identity}.lan${lanIndex + 1}`;
}

export class SipTunnelLink {
  readonly channels: ChannelSource;
  readonly #stream: TunnelStream;
  #handler: (message: SipMessage) => void = () => {};

  constructor(readonly session: TunnelSession, stream: TunnelStream, logger?: Logger) {
    this.#stream = stream;
    this.channels = {
      open: (label) => (session.state === 'open' ? session.openChannel(label) : undefined),
      get: (id) => session.channels.get(id),
    };
    stream.on('data', (payload) => {
      let message: SipMessage;
      try {
        message = parseMessage(payload);
      } catch (error) {
        logger?.warn({ err: error }, 'unparsable SIP message on the tunnel');
        return;
      }
      this.#handler(message);
    });
  }

  get closed(): boolean {
    return this.#stream.closed;
  }

  onMessage(handler: (message: SipMessage) => void): void {
    this.#handler = handler;
  }

  send(message: SipMessage): boolean {
    return this.#stream.write(serializeMessage(message));
  }

  close(): void {
    this.#stream.end();
  }
}
