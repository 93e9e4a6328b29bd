/**
 * Opens the sockets of a SIP stack (src/net) and composes it (src/sip): the one place where the
 * two meet for the commands; the agent and hub composition roots do the same.
 */
import { realClock, silentLogger, type Clock, type Logger } from '../core/index.js';
import { bindUdp, listenTcp, listenTls, tcpConnector, tlsConnector, type TlsConnectorOptions } from '../net/index.js';
import { SipStack, SipTransportLayer, type RequestHandler, type RequestPolicy, type SipStackOptions } from '../sip/index.js';

export interface SipSocketOptions {
  /** Local address to bind, e.g. 127.0.0.1. */
  readonly address: string;
  /** Ports to listen on; 0 picks one; absent: no listener for that transport. */
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly tlsPort?: number;
  /** PEM key and certificate for the TLS listener. */
  readonly tlsServer?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Outgoing TLS settings; absent: no TLS client. */
  readonly tlsClient?: TlsConnectorOptions;
  /** Open outgoing TCP connections (default true). */
  readonly tcpClient?: boolean;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly timers?: SipStackOptions['timers'];
  readonly requestPolicy?: RequestPolicy;
  readonly onRequest?: RequestHandler;
  readonly idleTimeoutMs?: number;
}

/** Binds and listens, then builds and starts the stack. Close it with `stack.close()`. */
export async function openSipStack(o: SipSocketOptions): Promise<SipStack> {
  const clock = o.clock ?? realClock;
  const logger = o.logger ?? silentLogger;
  const udp = o.udpPort === undefined ? undefined : await bindUdp({ address: o.address, port: o.udpPort, receiveBufferSize: 4 << 20 });
  const tcpListener = o.tcpPort === undefined ? undefined : await listenTcp({ address: o.address, port: o.tcpPort });
  const tlsListener = o.tlsPort === undefined || o.tlsServer === undefined
    ? undefined
    : await listenTls({ address: o.address, port: o.tlsPort, key: o.tlsServer.key, cert: o.tlsServer.cert });
  const tcpConnect = o.tcpClient ?? true ? tcpConnector() : undefined;
  const tlsConnect = o.tlsClient === undefined ? undefined : tlsConnector(o.tlsClient);
  const transport = new SipTransportLayer({
    clock,
    logger,
    ...(udp === undefined ? {} : { udp }),
    ...(tcpListener === undefined && tcpConnect === undefined ? {} : {
      tcp: { ...(tcpListener === undefined ? {} : { listener: tcpListener }), ...(tcpConnect === undefined ? {} : { connector: tcpConnect }) },
    }),
    ...(tlsListener === undefined && tlsConnect === undefined ? {} : {
      tls: { ...(tlsListener === undefined ? {} : { listener: tlsListener }), ...(tlsConnect === undefined ? {} : { connector: tlsConnect }) },
    }),
    ...(o.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: o.idleTimeoutMs }),
    ...(o.requestPolicy === undefined ? {} : { requestPolicy: o.requestPolicy }),
    // A wildcard bind cannot say which address the Via carries: no §18.1.2 check then.
    ...(o.address === '0.0.0.0' || o.address === '::' ? {} : { sentByHosts: [o.address] }),
  });
  const stack = new SipStack({
    clock,
    logger,
    transport,
    advertisedHost: o.address,
    ...(o.timers === undefined ? {} : { timers: o.timers }),
    ...(o.onRequest === undefined ? {} : { onRequest: o.onRequest }),
  });
  stack.start();
  return stack;
}
