export type { DatagramSocket, IpFamily, SocketAddress } from './types.js';
export { bindUdp, type UdpBindOptions } from './udp.js';
export type { StreamConnectOptions, StreamConnection, StreamConnector, StreamListener } from './types.js';
export { listenTcp, tcpConnector, type TcpListenOptions } from './tcp.js';
export { listenTls, tlsConnector, type TlsConnectorOptions, type TlsListenOptions } from './tls.js';
export { interfaceForSource, joinMulticast, listIpv4Interfaces, multicastSender, resolveLanInterfaces, type LanInterface, type MulticastOptions } from './multicast.js';
export { startHttpServer, type HttpHandler, type HttpReply, type HttpRequestInfo, type HttpServerHandle, type HttpServerOptions } from './http-server.js';
export { httpGet, type HttpGetOptions, type HttpGetResult } from './http-client.js';
export { localAddressToward } from './stun-local-address.js';
