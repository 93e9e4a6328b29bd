/**
 * Unix datagram sockets (AF_UNIX, SOCK_DGRAM), which Node's dgram module does not offer. The
 * systemd notification socket (sd_notify(3)) is one; the tests bind one to stand in for systemd.
 *
 * They come from the native addon `unix-dgram`, required only when a socket is first used, so a
 * machine where the addon did not build (Windows, a box without a compiler) runs everything else.
 * unix-dgram copies the address with strncpy(3) and passes the whole sockaddr_un, so it cannot
 * name a Linux abstract socket (a leading NUL byte): those are refused with a typed error.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import { SbcError } from '../core/index.js';

/** A unix datagram socket that cannot be opened, bound or sent to; `errno` is the system's code. */
export class UnixDatagramError extends SbcError {
  readonly path: string;
  readonly errno: string | undefined;

  constructor(path: string, message: string, options?: { errno?: string; cause?: unknown }) {
    super('SBC_ERR_UNIX_DATAGRAM', `${printable(path)}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.path = path;
    this.errno = options?.errno;
  }
}

/** The part of unix-dgram's socket this module uses. */
interface UnixDgramSocket {
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  bind(path: string): void;
  send(data: Buffer, offset: number, length: number, path: string, callback: (error?: Error) => void): void;
  close(): void;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

function isUnixDgramModule(value: unknown): value is UnixDgramModule {
  return typeof value === 'object' && value !== null && 'createSocket' in value && typeof value.createSocket === 'function';
}

let loaded: UnixDgramModule | undefined;

function unixDgram(path: string): UnixDgramModule {
  if (loaded !== undefined) return loaded;
  let value: unknown;
  try {
    value = createRequire(import.meta.url)('unix-dgram');
  } catch (error) {
    throw new UnixDatagramError(path, 'the unix-dgram native addon is not available (npm install did not build it)', { cause: error });
  }
  if (!isUnixDgramModule(value)) throw new UnixDatagramError(path, 'the unix-dgram module has no createSocket()');
  loaded = value;
  return value;
}

function printable(path: string): string {
  return path.startsWith('\0') ? `@${path.slice(1)}` : path;
}

function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  // unix-dgram puts the negated errno in `code` (-111); name it as Node does (ECONNREFUSED).
  const code = error.code;
  if (typeof code === 'number' && Number.isInteger(code) && code < 0) {
    try {
      return getSystemErrorName(code);
    } catch {
      return String(code);
    }
  }
  return String(code);
}

function refuseAbstract(path: string): void {
  if (path.startsWith('\0')) throw new UnixDatagramError(path, 'abstract unix sockets cannot be addressed through unix-dgram');
  if (path.length === 0) throw new UnixDatagramError(path, 'empty socket path');
}

/**
 * Sends one datagram to the socket bound at `path`, on a socket opened for this datagram and
 * closed at once (as sd_notify(3) does): no descriptor or event-loop handle outlives the call.
 * Throws UnixDatagramError when nothing listens there, the receiver's queue is full, or the
 * addon is missing.
 */
export function sendUnixDatagram(path: string, data: Buffer): void {
  refuseAbstract(path);
  const module = unixDgram(path);
  let socket: UnixDgramSocket;
  try {
    socket = module.createSocket('unix_dgram');
  } catch (error) {
    throw new UnixDatagramError(path, 'cannot open a unix datagram socket', { cause: error, ...withErrno(error) });
  }
  let failure: unknown;
  try {
    // unix-dgram calls back synchronously: the kernel took the datagram or refused it.
    socket.send(data, 0, data.length, path, (error) => {
      failure = error;
    });
  } catch (error) {
    failure = error;
  } finally {
    try {
      socket.close();
    } catch {
      // close(2) failing on a socket we only sent from leaves nothing to release.
    }
  }
  if (failure !== undefined) throw new UnixDatagramError(path, `send failed (${errnoOf(failure) ?? String(failure)})`, { cause: failure, ...withErrno(failure) });
}

function withErrno(error: unknown): { errno?: string } {
  const errno = errnoOf(error);
  return errno === undefined ? {} : { errno };
}

/** A bound unix datagram socket that receives. `close()` is idempotent and removes nothing on disk. */
export interface UnixDatagramReceiver {
  readonly path: string;
  close(): void;
}

/**
 * Binds a receiving socket at `path` (which must not exist yet) and calls `onMessage` with
 * each datagram. While open it keeps the event loop alive.
 */
export function bindUnixDatagram(path: string, onMessage: (data: Buffer) => void): UnixDatagramReceiver {
  refuseAbstract(path);
  const socket = unixDgram(path).createSocket('unix_dgram');
  let bindError: unknown;
  socket.on('error', (error) => {
    bindError = error;
  });
  socket.on('message', (data) => onMessage(data));
  socket.bind(path);
  if (bindError !== undefined) {
    socket.close();
    throw new UnixDatagramError(path, `cannot bind (${errnoOf(bindError) ?? String(bindError)})`, { cause: bindError, ...withErrno(bindError) });
  }
  let closed = false;
  return {
    path,
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
