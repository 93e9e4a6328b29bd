/**
 * One UDP socket, two readers: the SIP stack owns the socket, and a datagram that another part
 * claims first (the plug-and-play responder's NOTIFY answers on the SIP port) never reaches it.
 * The same for stream listeners: connections from a refused source are destroyed.
 */
import type { DatagramSocket, SocketAddress, StreamConnection, StreamListener } from './types.js';

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
 * `listener` as seen by its owner, minus what `admit` refuses: a connection refused at accept is
 * destroyed before a byte of it is read, and one whose source is refused later (blocked while
 * connected) is destroyed at its next chunk, which is never handed on. `admit` sees the accept and
 * every chunk, so a packet-rate policy counts stream traffic too.
 */
export function admitConnections(listener: StreamListener, admit: (remote: SocketAddress) => boolean): StreamListener {
  const guarded = (connection: StreamConnection): StreamConnection => ({
    get local() {
      return connection.local;
    },
    get remote() {
      return connection.remote;
    },
    get secure() {
      return connection.secure;
    },
    write: (data) => connection.write(data),
    onData: (handler) =>
      connection.onData((chunk) => {
        if (admit(connection.remote)) handler(chunk);
        else connection.destroy();
      }),
    onClose: (handler) => connection.onClose(handler),
    close: () => connection.close(),
    destroy: () => connection.destroy(),
  });
  return {
    get local() {
      return listener.local;
    },
    get secure() {
      return listener.secure;
    },
    onConnection: (handler) =>
      listener.onConnection((connection) => {
        if (admit(connection.remote)) handler(guarded(connection));
        else connection.destroy();
      }),
    onError: (handler) => listener.onError(handler),
    close: () => listener.close(),
  };
}
