/**
 * The tunnel (PROTOCOL.md): frame codec, sessions with streams, datagram channels and control,
 * the agent-side client (reconnect, resume) and the hub-side server. Carriages (TLS, WSS) are in
 * src/net and handed in as TunnelCarriage values. A composition root wires them like this:
 *
 *   // hub
 *   const server = createTunnelServer({ clock, identity: 'hub', authorize: (peer) => revoked(peer) });
 *   const streams = new StreamDispatcher({ clock });
 *   streams.register('sip/1', (stream, session) => ...);   // PROTOCOL.md "Stream purpose"
 *   server.on('session', (session) => {
 *     session.on('stream', (stream) => streams.accept(session, stream));
 *     session.on('channel', (channel) => ...);      // RTP/RTCP from the agent
 *     session.pushConfig(snapshot);
 *   });
 *   await listenTunnelTls({ ...hubCredentials, host, port: 5090, onCarriage: (c) => server.accept(c) });
 *   await listenTunnelWss({ ...hubCredentials, host, port: 443, onCarriage: (c) => server.accept(c) });
 *
 *   // agent
 *   const client = createTunnelClient({ clock, identity, connect: tunnelConnector({ ...agentCredentials,
 *     tls: { host: hub, port: 5090 }, wssUrl: tunnelWssUrl(hub, 443) }) });
 *   client.onConfig(({ data }) => ...);
 *   client.start();
 *   const stream = openLabeledStream(client, 'sip/1');   // survives a resume
 *   const channel = client.openChannel('call-17/audio');
 *   channel.send(rtp);                              // or client.sendDatagram(channel.id, rtp)
 */
import { TunnelClient, type TunnelClientOptions } from './client.js';
import { TunnelServer, type TunnelServerOptions } from './server.js';

export { GoAwayReason, TunnelProtocolError, goAwayReasonName, toGoAwayReason, type GoAwayReasonCode } from './errors.js';
export { Flag, FrameType, HEADER_SIZE, MAX_PAYLOAD, PROTOCOL_VERSION, SUPPORTED_VERSIONS, decodeFrame, decodeHeader, encodeFrame, encodeFrames, type Frame, type FrameHeader, type FrameTypeCode } from './frame.js';
export { FrameDecoder } from './decoder.js';
export { ALL_CAPABILITIES, Capability, decodeGoAway, decodeHello, decodeResume, decodeWindowUpdate, encodeGoAway, encodeHello, encodeResume, encodeWindowUpdate, negotiateVersion, type GoAway, type Hello, type Resume, type StreamPosition, type WindowUpdate } from './control.js';
export { ConfigAssembler, chunkConfig, MAX_CONFIG_BYTES } from './config-transfer.js';
export { backoffDelay, DEFAULT_INITIAL_DELAY_MS, DEFAULT_MAX_DELAY_MS, isNoRouteError, type BackoffOptions } from './backoff.js';
export { TunnelStream, INITIAL_WINDOW, type StreamEvents } from './stream.js';
export { TunnelChannel, DEFAULT_CHANNEL_QUEUE, type ChannelCounters, type ChannelEvents } from './channel.js';
export { Link, type LinkCounters } from './link.js';
export { TunnelSession } from './session.js';
export {
  DEFAULT_LABEL_TIMEOUT_MS,
  MAX_STREAM_LABEL_BYTES,
  StreamDispatcher,
  decodeStreamLabel,
  encodeStreamLabel,
  isStreamLabel,
  openLabeledStream,
  type StreamDispatchStats,
  type StreamDispatcherOptions,
  type StreamHandler,
  type StreamRefusal,
} from './stream-dispatcher.js';
export type { DisconnectReason, SessionCloseInfo, SessionEvents, SessionOptions, SessionRole, SessionState } from './session-types.js';
export { TunnelClient, type TunnelClientEvents, type TunnelClientOptions, type TunnelClientState } from './client.js';
export { TunnelServer, DEFAULT_MAX_SESSIONS, DEFAULT_RESUME_WINDOW_MS, type TunnelServerEvents, type TunnelServerOptions } from './server.js';
export type { TunnelStats } from './stats.js';

/** The hub side: call `accept(carriage)` for each TLS or WSS connection; listen for `session`. */
export function createTunnelServer(options: TunnelServerOptions): TunnelServer {
  return new TunnelServer(options);
}

/** The agent side: `start()` connects, reconnects and resumes until `close()`. */
export function createTunnelClient(options: TunnelClientOptions): TunnelClient {
  return new TunnelClient(options);
}

/** Enrollment by auth key: hub CA, SBC list, the enrollment API, the agent's identity (enrollment/README.md). */
export * from './enrollment/index.js';
