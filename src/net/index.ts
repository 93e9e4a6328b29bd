export type { DatagramSocket, IpFamily, SocketAddress } from './types.js';
export { bindUdp, type UdpBindOptions } from './udp.js';
