/**
 * The hub side as one service for the hub's composition root: the tunnel listener (TLS 1.3 with
 * agent certificates), the tunnel server, and the call path toward the PBX. Shaped like the hub's
 * HubService (name, start, close, listeners), so `hub.add(sbcHubService(...))` wires it in.
 */
import { silentLogger, type Clock, type Logger } from '../core/index.js';
import type { PortRange } from '../media/index.js';
import { listenTunnelTls, type TunnelCredentials, type TunnelListener } from '../net/index.js';
import type { TransportTarget } from '../sip/index.js';
import { StreamDispatcher, createTunnelServer, type TunnelServer } from '../tunnel/index.js';
import { HubSbc, type SipListenOptions } from './services.js';

export interface SbcHubServiceOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly identity: string;
  readonly credentials: TunnelCredentials;
  readonly tunnel: { readonly host: string; readonly port: number };
  readonly sip: SipListenOptions;
  readonly pbx: TransportTarget;
  readonly mediaAddress: string;
  readonly mediaPorts: PortRange;
}

export interface SbcHubService {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  listeners(): readonly { name: string; address: string; port: number }[];
  readonly server: TunnelServer;
  /** Every stream an agent opens goes through it (PROTOCOL.md "Stream purpose"). */
  readonly streams: StreamDispatcher;
  sbc(): HubSbc | undefined;
}

export function sbcHubService(o: SbcHubServiceOptions): SbcHubService {
  const logger = o.logger ?? silentLogger;
  const server = createTunnelServer({ clock: o.clock, identity: o.identity, logger });
  const streams = new StreamDispatcher({ clock: o.clock, logger });
  server.on('session', (session) => session.on('stream', (stream) => streams.accept(session, stream)));
  let listener: TunnelListener | undefined;
  let sbc: HubSbc | undefined;
  let closed: Promise<void> | undefined;
  return {
    name: 'sbc',
    server,
    streams,
    sbc: () => sbc,
    async start() {
      sbc = await HubSbc.start({ clock: o.clock, logger, streams, sip: o.sip, pbx: o.pbx, mediaAddress: o.mediaAddress, mediaPorts: o.mediaPorts });
      listener = await listenTunnelTls({ ...o.credentials, host: o.tunnel.host, port: o.tunnel.port, onCarriage: (c) => server.accept(c) });
    },
    listeners() {
      const out = listener === undefined ? [] : [{ name: 'tunnel', address: listener.address, port: listener.port }];
      const sip = sbc?.stack.transport.localAddress(sbc.transport());
      return sip === undefined ? out : [...out, { name: 'sip-pbx', address: sip.address, port: sip.port }];
    },
    close() {
      closed ??= (async () => {
        await listener?.close();
        for (const s of server.sessions()) s.close();
        streams.close();
        await sbc?.close();
      })();
      return closed;
    },
  };
}

export interface HubCallPathServiceOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** The hub's stream dispatcher (hubTunnelService().streams): the call path takes the `sip/1` streams. */
  readonly streams: StreamDispatcher;
  readonly sip: SipListenOptions;
  readonly pbx: TransportTarget;
  readonly mediaAddress: string;
  readonly mediaPorts: PortRange;
}

/**
 * The call path alone, on a tunnel server the hub already runs: add it after the tunnel service,
 * `hub.add(hubCallPathService({ streams: tunnel.streams, ... }))`.
 */
export function hubCallPathService(o: HubCallPathServiceOptions): Omit<SbcHubService, 'server' | 'streams'> {
  let sbc: HubSbc | undefined;
  let closed: Promise<void> | undefined;
  return {
    name: 'call-path',
    sbc: () => sbc,
    async start() {
      sbc = await HubSbc.start({ clock: o.clock, logger: o.logger ?? silentLogger, streams: o.streams, sip: o.sip, pbx: o.pbx, mediaAddress: o.mediaAddress, mediaPorts: o.mediaPorts });
    },
    listeners() {
      const sip = sbc?.stack.transport.localAddress(sbc.transport());
      return sip === undefined ? [] : [{ name: 'sip-pbx', address: sip.address, port: sip.port }];
    },
    close() {
      closed ??= sbc?.close() ?? Promise.resolve();
      return closed;
    },
  };
}
