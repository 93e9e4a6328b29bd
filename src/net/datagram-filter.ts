/**
 * One UDP socket, two readers: the SIP stack owns the socket, and a datagram that another part
 * claims first (the plug-and-play responder's NOTIFY answers on the SIP port) never reaches it.
 * The same for stream listeners: connections a filter refuses are destroyed at accept.
 */
import type { DatagramSocket, SocketAddress, StreamListener } from './types.js';

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

/**
 * `listener` as seen by its owner, minus the connections `admit` refuses: those are destroyed at
 * accept, before a byte of them is read (a blocked source's TCP and TLS connections).
 */
export function admitConnections(listener: StreamListener, admit: (remote: SocketAddress) => boolean): StreamListener {
  return {
    get local() {
      return listener.local;
    },
    get secure() {
      return listener.secure;
    },
    onConnection: (handler) =>
      listener.onConnection((connection) => {
        if (admit(connection.remote)) handler(connection);
        else connection.destroy();
      }),
    onError: (handler) => listener.onError(handler),
    close: () => listener.close(),
  };
}
