/**
 * One UDP socket, two readers: the SIP stack owns the socket, and a datagram that another part
 * claims first (the plug-and-play responder's NOTIFY answers on the SIP port) never reaches it.
 */
import type { DatagramSocket, SocketAddress } from './types.js';

/** `socket` as seen by its owner, minus the datagrams `claim` returns true for. */
export function claimDatagrams(socket: DatagramSocket, claim: (data: Buffer, from: SocketAddress) => boolean): DatagramSocket {
  return {
    get local() {
      return socket.local;
    },
    send: (data, port, address) => socket.send(data, port, address),
    onMessage: (handler) =>
      socket.onMessage((data, from) => {
        if (!claim(data, from)) handler(data, from);
      }),
    onError: (handler) => socket.onError(handler),
    close: () => socket.close(),
  };
}
