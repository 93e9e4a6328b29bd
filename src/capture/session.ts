/**
 * One capture at a time on the process-wide datagram tap (src/net datagram-tap.ts): set the tap,
 * record for the asked seconds, remove it, hand back the pcap. While none runs the tap is unset,
 * so the sockets pay nothing for the feature.
 */
import type { Clock } from '../core/index.js';
import { setDatagramTap } from '../net/index.js';
import { CaptureRecorder } from './recorder.js';

export interface CaptureRequest {
  readonly seconds: number;
  readonly callId?: string;
  readonly maxBytes?: number;
}

export interface CaptureResult {
  readonly pcap: Buffer;
  readonly records: number;
  /** Oldest records dropped to stay within maxBytes. */
  readonly dropped: number;
  /** Datagrams that could not be written (a host name as destination, mixed address families). */
  readonly unrecordable: number;
}

let running = false;

/** Whether a capture runs now (a second one is refused: the tap has one owner). */
export function captureRunning(): boolean {
  return running;
}

/** Records for `seconds` and resolves with the pcap; throws when another capture runs. */
export async function captureFor(clock: Clock, request: CaptureRequest): Promise<CaptureResult> {
  if (running) throw new Error('a capture is already running');
  running = true;
  const recorder = new CaptureRecorder({ clock, ...(request.callId === undefined ? {} : { callId: request.callId }), ...(request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes }) });
  let unrecordable = 0;
  setDatagramTap((data, local, remote, direction) => {
    const far = { address: remote.address, port: remote.port };
    // The tap runs inside the sockets' send and receive: a datagram that cannot be written as a
    // record (sent to a host name, or between an IPv6 socket and an IPv4 peer) is counted, never thrown.
    try {
      if (direction === 'in') recorder.add(data, far, local);
      else recorder.add(data, local, far);
    } catch {
      unrecordable++;
    }
  });
  try {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, request.seconds * 1000));
  } finally {
    setDatagramTap(undefined);
    running = false;
  }
  return { pcap: recorder.pcap(), records: recorder.records, dropped: recorder.dropped, unrecordable };
}
