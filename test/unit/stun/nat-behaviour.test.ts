/**
 * RFC 5780 discovery against our server through a simulated NAT on the in-memory network: each
 * combination of mapping and filtering behaviour must be reported as such.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { discoverNatBehaviour, StunClient, StunServer, type NatBehaviour, type NatReport, type StunDatagramSocket, type TransportAddress } from '../../../src/stun/index.js';
import { FakeNetwork } from './fake-network.js';

const PUBLIC_IP = '203.0.113.1';

/** The inside socket of a NAT: outbound packets get a public source, inbound ones pass the filter. */
class NatSocket implements StunDatagramSocket {
  readonly local: TransportAddress = { family: 'IPv4', address: '192.168.1.10', port: 5000 };
  readonly #net: FakeNetwork;
  readonly #mapping: NatBehaviour;
  readonly #filtering: NatBehaviour;
  readonly #hairpin: boolean;
  readonly #ports = new Map<string, number>();
  readonly #permissions = new Map<number, Set<string>>();
  #nextPort = 62000;
  #handler: (data: Buffer, from: TransportAddress) => void = () => {};

  constructor(net: FakeNetwork, mapping: NatBehaviour, filtering: NatBehaviour, hairpin: boolean) {
    this.#net = net;
    this.#mapping = mapping;
    this.#filtering = filtering;
    this.#hairpin = hairpin;
  }

  send(data: Buffer, port: number, address: string): void {
    const key = this.#mapping === 'endpoint-independent' ? '' : this.#mapping === 'address-dependent' ? address : `${address}:${port}`;
    let publicPort = this.#ports.get(key);
    if (publicPort === undefined) {
      publicPort = this.#nextPort++;
      this.#ports.set(key, publicPort);
      const outside = this.#net.bind(PUBLIC_IP, publicPort);
      const permissions = new Set<string>();
      this.#permissions.set(publicPort, permissions);
      outside.onMessage((d, from) => {
        const hairpinned = from.address === PUBLIC_IP;
        if (hairpinned ? !this.#hairpin : !this.#allowed(permissions, from)) return;
        this.#handler(d, from);
      });
    }
    this.#permissions.get(publicPort)?.add(`${address}:${port}`);
    if (address === PUBLIC_IP && !this.#hairpin) return;
    this.#net.deliver({ family: 'IPv4', address: PUBLIC_IP, port: publicPort }, data, port, address);
  }

  #allowed(permissions: Set<string>, from: TransportAddress): boolean {
    if (this.#filtering === 'endpoint-independent') return true;
    if (this.#filtering === 'address-dependent') return [...permissions].some((p) => p.startsWith(`${from.address}:`));
    return permissions.has(`${from.address}:${from.port}`);
  }

  onMessage(handler: (data: Buffer, from: TransportAddress) => void): void {
    this.#handler = handler;
  }
}

async function discover(mapping: NatBehaviour, filtering: NatBehaviour, hairpin: boolean): Promise<NatReport> {
  const clock = new ManualClock();
  const net = new FakeNetwork(() => clock.now());
  const server = new StunServer({
    clock,
    logger: silentLogger,
    rateLimit: false,
    udp: [
      { socket: net.bind('198.51.100.1', 3478), ip: 0, port: 0 },
      { socket: net.bind('198.51.100.1', 3479), ip: 0, port: 1 },
      { socket: net.bind('198.51.100.2', 3478), ip: 1, port: 0 },
      { socket: net.bind('198.51.100.2', 3479), ip: 1, port: 1 },
    ],
  });
  server.start();
  const client = new StunClient({ socket: new NatSocket(net, mapping, filtering, hairpin), clock });
  const inside: TransportAddress = { family: 'IPv4', address: '192.168.1.10', port: 5000 };
  let report: NatReport | undefined;
  let failure: unknown;
  discoverNatBehaviour({ client, server: { address: '198.51.100.1', port: 3478 }, localAddress: inside, timeoutMs: 5000, probeTimeoutMs: 2000 }).then(
    (r) => (report = r),
    (e: unknown) => (failure = e),
  );
  // Unanswered probes wait on the manual clock: move it on while the discovery runs.
  for (let i = 0; i < 1000 && report === undefined && failure === undefined; i++) {
    await tick();
    clock.advance(100);
  }
  if (failure !== undefined) throw failure;
  assert.ok(report, 'discovery finished');
  return report;
}

const BEHAVIOURS: readonly NatBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];

for (const mapping of BEHAVIOURS) {
  for (const filtering of BEHAVIOURS) {
    test(`simulated NAT with ${mapping} mapping and ${filtering} filtering is reported as such`, async () => {
      const report = await discover(mapping, filtering, false);
      assert.equal(report.mapping, mapping);
      assert.equal(report.filtering, filtering);
      assert.equal(report.natPresent, true);
      assert.equal(report.hairpin, false);
      assert.deepEqual(report.otherAddress, { family: 'IPv4', address: '198.51.100.2', port: 3479 });
      assert.equal(report.mappedAddress.address, PUBLIC_IP);
    });
  }
}

test('a NAT that hairpins is reported as hairpinning', async () => {
  const report = await discover('endpoint-independent', 'endpoint-independent', true);
  assert.equal(report.hairpin, true);
});
