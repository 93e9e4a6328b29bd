/**
 * Binds and releases each listener a command is about to open, before it creates any state: a port
 * in use, an address not on this machine or a port that needs root is then a BindError (exit 19,
 * the protocol, address and port named) and the state directory is left as it was (no new CA from
 * a hub that could not start).
 */
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { BindError } from '../core/index.js';
import type { SbcConfig } from '../config/index.js';
import { bindExplained } from '../bind-explained.js';

export interface PlannedListener {
  readonly protocol: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
  /** The configuration field that sets it, named in the error ("hub.sip.listen"). */
  readonly field: string;
  /** The command runs on without it when the port needs privileges (the hub's WSS on 443). */
  readonly optionalWithoutRoot?: boolean;
}

function probeTcp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: address, exclusive: true }, () => server.close(() => resolve()));
  });
}

function probeUdp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ port, address, exclusive: true }, () => socket.close(() => resolve()));
  });
}

function deniedWithoutRoot(error: BindError): boolean {
  return error.reason.startsWith('permission denied');
}

/** Throws the BindError of the first listener that cannot be bound; port 0 (any) always can. */
export async function checkListeners(listeners: readonly PlannedListener[]): Promise<void> {
  for (const l of listeners) {
    if (l.port === 0) continue;
    try {
      await bindExplained(l.protocol, l.address, l.port, () => (l.protocol === 'tcp' ? probeTcp(l.address, l.port) : probeUdp(l.address, l.port)));
    } catch (error) {
      if (!(error instanceof BindError)) throw error;
      if (l.optionalWithoutRoot === true && deniedWithoutRoot(error)) continue;
      throw new BindError(error.protocol, error.address, error.port, `${error.reason}; see ${l.field}`, error.holder, { cause: error });
    }
  }
}

/** The listeners `sbc-agent hub` opens from its configuration (media ports excepted: taken per call). */
export function hubListeners(config: SbcConfig): PlannedListener[] {
  const hub = config.hub;
  const list: PlannedListener[] = [
    { protocol: 'tcp', address: hub.enrollment.listen, port: hub.enrollment.port, field: 'hub.enrollment' },
    { protocol: 'tcp', address: hub.tunnel.listen, port: hub.tunnel.port, field: 'hub.tunnel' },
    { protocol: 'tcp', address: hub.wss.listen, port: hub.wss.port, field: 'hub.wss', optionalWithoutRoot: true },
  ];
  const sip = hub.callPath?.sip;
  if (sip !== undefined) list.push({ protocol: 'udp', address: sip.listen, port: sip.port, field: 'hub.sip' }, { protocol: 'tcp', address: sip.listen, port: sip.port, field: 'hub.sip' });
  if (hub.sipEcho !== undefined) list.push({ protocol: 'udp', address: hub.sipEcho.listen, port: hub.sipEcho.port, field: 'hub.sipEcho' });
  const builtin = hub.callPath?.builtin?.sip;
  if (builtin !== undefined) list.push({ protocol: 'udp', address: builtin.listen, port: builtin.port, field: 'hub.builtinPbx' }, { protocol: 'tcp', address: builtin.listen, port: builtin.port, field: 'hub.builtinPbx' });
  if (hub.admin.enabled && hub.admin.required && hub.admin.port !== 0) list.push(...hub.admin.listen.map((address) => ({ protocol: 'tcp' as const, address, port: hub.admin.port, field: 'hub.admin' })));
  return list;
}
