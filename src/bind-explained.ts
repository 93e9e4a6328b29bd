/**
 * Binding with a message a person can act on: an address in use, not on this machine, or a port
 * that needs privileges becomes a BindError naming the protocol, address and port, and who holds
 * the port when that can be found out (platform/port-holder.ts).
 */
import { BindError, errnoCode } from './core/index.js';
import { portHolder } from './platform/index.js';

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EADDRNOTAVAIL: 'the address is not on this machine',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EPERM: 'permission denied',
};


/** Runs `bind`; an error the operator can act on becomes a BindError, anything else passes through. */
export async function bindExplained<T>(protocol: 'udp' | 'tcp', address: string, port: number, bind: () => Promise<T>): Promise<T> {
  try {
    return await bind();
  } catch (error) {
    const code = errnoCode(error);
    const reason = code === undefined ? undefined : REASONS[code];
    if (reason === undefined) throw error;
    throw new BindError(protocol, address, port, reason, code === 'EADDRINUSE' ? portHolder(protocol, port) : undefined, { cause: error });
  }
}
