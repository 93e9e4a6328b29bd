/**
 * The agent's way to the hub: TLS on port 5090 first and, when that cannot be established, the
 * same tunnel over WSS (src/tunnel/PROTOCOL.md "Carriage"). Each attempt starts with TLS again,
 * so the agent returns to the direct path once the network allows it.
 */
import type { TunnelCarriage } from './tunnel-carriage.js';
import type { TunnelCredentials } from './tunnel-socket.js';
import { connectTunnelTls } from './tunnel-tls.js';
import { connectTunnelWss } from './tunnel-wss.js';

export interface TunnelConnectorOptions extends TunnelCredentials {
  readonly tls?: { readonly host: string; readonly port?: number };
  /** wss://host:port/tunnel; absent: no fallback. */
  readonly wssUrl?: string;
  /** Per attempt of each carriage; default 10 s. */
  readonly timeoutMs?: number;
  readonly onFallback?: (error: Error) => void;
}

export function tunnelConnector(options: TunnelConnectorOptions): () => Promise<TunnelCarriage> {
  const credentials = { key: options.key, cert: options.cert, ca: options.ca };
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async () => {
    let tlsError: Error | undefined;
    if (options.tls !== undefined) {
      try {
        return await connectTunnelTls({ ...credentials, ...options.tls, timeoutMs });
      } catch (error) {
        tlsError = error instanceof Error ? error : new Error(String(error));
        if (options.wssUrl === undefined) throw tlsError;
        options.onFallback?.(tlsError);
      }
    }
    if (options.wssUrl === undefined) throw new Error('no tunnel carriage configured');
    try {
      return await connectTunnelWss({ ...credentials, url: options.wssUrl, timeoutMs });
    } catch (error) {
      const wssError = error instanceof Error ? error : new Error(String(error));
      throw new Error(`tunnel: TLS failed (${tlsError?.message ?? 'not configured'}), WSS failed (${wssError.message})`, { cause: wssError });
    }
  };
}
