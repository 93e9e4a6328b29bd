/**
 * Multicast reception for LAN plug-and-play (docs/ARCHITECTURE.md). One UDP socket bound to the
 * group address (not INADDR_ANY) with SO_REUSEADDR joins the group on every LAN interface: on
 * Linux a socket bound to the group receives only the group's datagrams, so the unicast SIP
 * socket on <lan-ip>:5060 and this one stay apart. Node gives no IP_PKTINFO, so the interface
 * a datagram arrived on is found from its source address and the interfaces' subnets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { DatagramSocket } from './types.js';
import { UdpSocket } from './udp.js';

/** An IPv4 address of this host with its prefix, e.g. 192.168.1.10/24 on eth0. */
export interface LanInterface {
  readonly name: string;
  readonly address: string;
  readonly netmask: string;
}

/** Every IPv4 interface address of the host (loopback only when asked). */
export function listIpv4Interfaces(includeLoopback = false): LanInterface[] {
  const out: LanInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || (a.internal && !includeLoopback)) continue;
      out.push({ name, address: a.address, netmask: a.netmask });
    }
  }
  return out;
}

/**
 * Resolves a LAN setting: each entry is an interface name (eth0) or one of its IPv4 addresses.
 * An empty list means every non-loopback IPv4 interface. Unknown entries are returned in
 * `unknown` so the caller can report them by name.
 */
export function resolveLanInterfaces(names: readonly string[]): { interfaces: LanInterface[]; unknown: string[] } {
  const all = listIpv4Interfaces(true);
  if (names.length === 0) return { interfaces: all.filter((i) => !i.address.startsWith('127.')), unknown: [] };
  const interfaces: LanInterface[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const found = all.filter((i) => i.name === n || i.address === n);
    if (found.length === 0) unknown.push(n);
    for (const f of found) if (!interfaces.some((i) => i.address === f.address)) interfaces.push(f);
  }
  return { interfaces, unknown };
}

function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** The interface whose subnet holds `address` (the longest prefix wins), or undefined. */
export function interfaceForSource<T extends { readonly address: string; readonly netmask: string }>(interfaces: readonly T[], address: string): T | undefined {
  const a = ipv4ToInt(address);
  if (a === undefined) return undefined;
  let best: T | undefined;
  let bestMask = -1;
  for (const i of interfaces) {
    const ip = ipv4ToInt(i.address);
    const mask = ipv4ToInt(i.netmask);
    if (ip === undefined || mask === undefined) continue;
    // >>> 0 keeps the AND unsigned: JS bit operators work on signed 32-bit integers.
    if (((a & mask) >>> 0) === ((ip & mask) >>> 0) && mask > bestMask) {
      best = i;
      bestMask = mask;
    }
  }
  return best;
}

export interface MulticastOptions {
  readonly group: string;
  readonly port: number;
  /** Interface addresses to join the group on. */
  readonly interfaceAddresses: readonly string[];
  readonly receiveBufferSize?: number;
}

/** Binds group:port and joins the group on each interface address; resolves once joined. */
export function joinMulticast(options: MulticastOptions): Promise<DatagramSocket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(options.port, options.group, () => {
      try {
        for (const address of options.interfaceAddresses) socket.addMembership(options.group, address);
        if (options.receiveBufferSize !== undefined) socket.setRecvBufferSize(options.receiveBufferSize);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      socket.off('error', onError);
      resolve(new UdpSocket(socket, false));
    });
  });
}

/** A sender for tests and tools: unicast socket whose multicast goes out of `interfaceAddress`. */
export function multicastSender(interfaceAddress: string, port = 0): Promise<DatagramSocket & { readonly raw: Socket }> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, interfaceAddress, () => {
      socket.off('error', reject);
      socket.setMulticastInterface(interfaceAddress);
      socket.setMulticastLoopback(true);
      socket.setMulticastTTL(1);
      resolve(new UdpSocket(socket));
    });
  });
}
