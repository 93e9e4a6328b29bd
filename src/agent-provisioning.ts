/**
 * The agent's provisioning upstream through the tunnel (PROTOCOL.md "Stream protocols",
 * `provisioning/1`): each fetch of the relay opens a stream labelled `provisioning/1`, sends one
 * request (path, query, the phone's MAC) and FIN, and reads the hub's header then the body until
 * the hub's FIN. The PBX's provisioning server need not be reachable from the branch.
 *
 *   const relay = new ProvisioningRelay({
 *     upstream: tunnelUpstream(agentTunnel.client, { clock }),
 *     inbox, clock, log,
 *   });
 *
 * Every failure rejects with a ProvisioningFetchError (the relay answers the phone 502): the tunnel
 * is down, no complete answer within `timeoutMs`, a body above `maxBytes`, the hub reset the
 * stream, or a malformed answer. A stream is reset whenever the fetch is abandoned before the end.
 * The relay logs the failure (with the error's code and reason).
 */
import { describeError, type Clock } from './core/index.js';
import {
  PROVISIONING_STREAM_LABEL,
  ProvisioningFetchError,
  decodeFetchHeader,
  encodeFetchRequest,
  macsInPath,
  type FetchContext,
  type FetchHeader,
  type FetchRequest,
  type UpstreamFetcher,
  type UpstreamResult,
} from './pnp/index.js';
import { openLabeledStream, type TunnelStream } from './tunnel/index.js';

/** Longer than the hub's default upstream timeout (15 s), so the hub's own 504 can come back first. */
export const DEFAULT_TUNNEL_FETCH_TIMEOUT_MS = 20_000;
export const DEFAULT_TUNNEL_FETCH_MAX_BYTES = 16 * 1024 * 1024;

/** What a fetch needs of the tunnel: TunnelClient fits (its streams survive a resume). */
export interface FetchTunnel {
  readonly state: string;
  openStream(): TunnelStream;
}

export interface TunnelUpstreamOptions {
  readonly clock: Clock;
  /** The whole fetch, from opening the stream to the hub's FIN; default 20 s. */
  readonly timeoutMs?: number;
  /** The largest body accepted; a larger announced or received body resets the stream. Default 16 MiB. */
  readonly maxBytes?: number;
}

/** The relay's upstream fetcher through the tunnel to the hub. */
export function tunnelUpstream(tunnel: FetchTunnel, options: TunnelUpstreamOptions): UpstreamFetcher {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TUNNEL_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_TUNNEL_FETCH_MAX_BYTES;
  return {
    fetch(path: string, query: string, context: FetchContext = {}): Promise<UpstreamResult> {
      const mac = context.mac ?? macsInPath(path)[0];
      return fetchOnce(tunnel, { path, query, ...(mac !== undefined && /^[0-9a-f]{12}$/.test(mac) ? { mac } : {}) }, options.clock, timeoutMs, maxBytes);
    },
  };
}

function fetchOnce(tunnel: FetchTunnel, request: FetchRequest, clock: Clock, timeoutMs: number, maxBytes: number): Promise<UpstreamResult> {
  if (tunnel.state !== 'open') return Promise.reject(new ProvisioningFetchError('tunnel-down', `the tunnel to the hub is ${tunnel.state}`));
  let stream: TunnelStream;
  try {
    stream = openLabeledStream(tunnel, PROVISIONING_STREAM_LABEL);
  } catch (error) {
    return Promise.reject(new ProvisioningFetchError('tunnel-down', describeError(error)));
  }
  return new Promise((resolve, reject) => {
    let header: FetchHeader | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const timer = clock.setTimeout(() => fail('timeout', `no complete answer within ${timeoutMs} ms`), timeoutMs);
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      timer.cancel();
      return true;
    };
    const fail = (reason: ProvisioningFetchError['reason'], message: string): void => {
      if (!settle()) return;
      stream.reset();
      reject(new ProvisioningFetchError(reason, message));
    };
    stream.on('data', (payload) => {
      if (header === undefined) {
        try {
          header = decodeFetchHeader(payload);
        } catch (error) {
          return fail('protocol', describeError(error));
        }
        if (header.length > maxBytes) fail('too-large', `the hub announces ${header.length} bytes, above ${maxBytes}`);
        return;
      }
      received += payload.length;
      if (received > header.length) return fail('protocol', `body longer than the ${header.length} bytes announced`);
      chunks.push(payload);
    });
    stream.on('end', () => {
      if (header === undefined) return fail('protocol', 'the hub ended the stream without a header');
      if (received !== header.length) return fail('protocol', `body of ${received} bytes, ${header.length} announced`);
      if (!settle()) return;
      resolve({ status: header.status, contentType: header.contentType, body: Buffer.concat(chunks, received) });
    });
    stream.on('close', ({ reset }) => fail('reset', reset ? 'the hub reset the stream (no provisioning service, or it gave up)' : 'the stream closed before the answer'));
    stream.write(encodeFetchRequest(request));
    stream.end();
  });
}
