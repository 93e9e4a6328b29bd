/** In-memory sockets and a silent logger for the responder's unit tests. */
import type { DatagramSocket, SocketAddress } from '../../src/net/index.js';

export interface Sent {
  readonly data: Buffer;
  readonly port: number;
  readonly address: string;
}

export class RecordingSocket implements DatagramSocket {
  readonly local: SocketAddress;
  readonly sent: Sent[] = [];

  constructor(address: string, port: number) {
    this.local = { address, port, family: 'IPv4' };
  }

  send(data: Buffer | readonly Buffer[], port: number, address: string): void {
    this.sent.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), port, address });
  }

  onMessage(): void {}
  onError(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }

  texts(): string[] {
    return this.sent.map((s) => s.data.toString('latin1'));
  }
}
