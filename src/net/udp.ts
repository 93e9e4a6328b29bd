/**
 * UDP sockets (node:dgram) behind the DatagramSocket interface. Send errors (ICMP unreachable
 * surfacing as ECONNREFUSED, EHOSTUNREACH ...) go to the error handler, never throw.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { datagramTap } from './datagram-tap.js';
import type { DatagramSocket, SocketAddress } from './types.js';

export interface UdpBindOptions {
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly reuseAddr?: boolean;
  /** Kernel buffer sizes in bytes, for media and load. */
  readonly receiveBufferSize?: number;
  readonly sendBufferSize?: number;
}

/**
 * A bound node:dgram socket as a DatagramSocket; src/net's multicast sockets use it too. A socket
 * made with `canSend` false drops what it is given to send (a multicast group socket, whose
 * answers go out of the unicast socket, so phones see a unicast source).
 */
export class UdpSocket implements DatagramSocket {
  readonly #socket: Socket;
  readonly #canSend: boolean;
  readonly #local: SocketAddress;
  #messageHandler: (data: Buffer, from: SocketAddress) => void = () => {};
  #errorHandler: (error: Error) => void = () => {};
  #closed: Promise<void> | undefined;

  constructor(socket: Socket, canSend = true) {
    this.#socket = socket;
    this.#canSend = canSend;
    const a = socket.address();
    this.#local = { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    // rinfo is a fresh object per datagram with address, family ('IPv4' | 'IPv6' since Node 18.4),
    // port and size: handed on as it is rather than copied (one allocation less per packet).
    socket.on('message', (data, rinfo) => {
      if (datagramTap !== undefined) datagramTap(data, this.#local, rinfo, 'in');
      this.#messageHandler(data, rinfo as SocketAddress);
    });
    socket.on('error', (error) => this.#errorHandler(error));
  }

  get local(): SocketAddress {
    return this.#local;
  }

  /** The node:dgram socket, for src/net's own helpers (multicast membership). */
  get raw(): Socket {
    return this.#socket;
  }

  send(data: Buffer | readonly Buffer[], port: number, address: string): void {
    if (!this.#canSend || this.#closed !== undefined) return;
    if (datagramTap !== undefined) datagramTap(Buffer.isBuffer(data) ? data : Buffer.concat(data as readonly Buffer[]), this.#local, { address, port }, 'out');
    this.#socket.send(data as Buffer | Buffer[], port, address, this.#afterSend);
  }

  /** One callback for every send, not a closure per packet. */
  readonly #afterSend = (error: Error | null): void => {
    if (error) this.#errorHandler(error);
  };

  onMessage(handler: (data: Buffer, from: SocketAddress) => void): void {
    this.#messageHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closed;
  }
}

/** Binds a UDP socket; resolves once bound (so `local.port` is known). */
export function bindUdp(options: UdpBindOptions): Promise<DatagramSocket & { readonly raw: Socket }> {
  const socket = createSocket({ type: isIPv6(options.address) ? 'udp6' : 'udp4', reuseAddr: options.reuseAddr ?? false, lookup: literalLookup });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(options.port, options.address, () => {
      socket.off('error', onError);
      if (options.receiveBufferSize !== undefined) socket.setRecvBufferSize(options.receiveBufferSize);
      if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
      resolve(new UdpSocket(socket));
    });
  });
}

/**
 * node:dgram resolves the destination of every send with `lookup`; dns.lookup answers an IP
 * literal on the next tick, which costs a tick and a closure per packet. Every address this
 * project sends to is a literal, answered here at once; a name still goes to dns.lookup.
 */
function literalLookup(hostname: string, options: LookupOneOptions | number, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}
