/**
 * RFC 5780 §4 NAT behaviour discovery with one local socket. The filtering tests (§4.4) run
 * first, while the socket has only talked to the primary address, so no earlier packet to the
 * alternate address has opened the NAT's filter; then the mapping tests (§4.3) and
 * hairpinning (§4.5).
 */
import type { TransportAddress } from './attributes.js';
import { mappedAddressOf, newTransactionId, bindingRequest, type StunClient, type StunResponse } from './client.js';
import { StunTimeoutError } from './errors.js';
import { encodeStun, getAttribute } from './message.js';
import { formatEndpoint, sameEndpoint, type StunEndpoint } from './transport.js';

export type NatBehaviour = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

export interface NatReport {
  readonly server: string;
  readonly mappedAddress: TransportAddress;
  /** Local address of the socket, when known; equal to the mapped address means no NAT. */
  readonly localAddress: TransportAddress | undefined;
  readonly natPresent: boolean | undefined;
  /** OTHER-ADDRESS of the server; undefined when it does not support RFC 5780. */
  readonly otherAddress: TransportAddress | undefined;
  readonly mapping: NatBehaviour | undefined;
  readonly filtering: NatBehaviour | undefined;
  readonly hairpin: boolean | undefined;
}

export interface DiscoveryOptions {
  readonly client: StunClient;
  readonly server: StunEndpoint;
  /** The socket's real local address (not 0.0.0.0), to tell "no NAT". */
  readonly localAddress?: TransportAddress;
  /** How long to wait for the first Binding response and the mapping tests. */
  readonly timeoutMs: number;
  /** How long to wait in tests where no answer is a normal result (filtering, hairpin). */
  readonly probeTimeoutMs: number;
}

/** Answered, or undefined when the NAT (or the server) let nothing through in time. */
async function probe(promise: Promise<StunResponse>): Promise<StunResponse | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof StunTimeoutError) return undefined;
    throw error;
  }
}

function mapped(response: StunResponse, server: string): TransportAddress {
  const address = response.message.messageClass === 'success' ? mappedAddressOf(response.message) : undefined;
  if (address === undefined) {
    const code = getAttribute(response.message, 'ERROR-CODE');
    throw new StunTimeoutError(`${server} (answered ${code === undefined ? 'without a mapped address' : `${code.code} ${code.reason}`})`, 0);
  }
  return address;
}

export async function discoverNatBehaviour(options: DiscoveryOptions): Promise<NatReport> {
  const { client, server } = options;
  const serverName = formatEndpoint(server);
  // Test I (§4.3 and §4.4): Binding to the primary address.
  const first = await client.request(server, { timeoutMs: options.timeoutMs });
  const m1 = mapped(first, serverName);
  const other = getAttribute(first.message, 'OTHER-ADDRESS')?.value;
  const natPresent = options.localAddress === undefined ? undefined : !sameEndpoint(options.localAddress, m1);
  const base = { server: serverName, mappedAddress: m1, localAddress: options.localAddress, natPresent, otherAddress: other };
  if (other === undefined) return { ...base, mapping: undefined, filtering: undefined, hairpin: await hairpin(options, m1) };

  // §4.4 filtering test II: change IP and port; an answer from the other address means endpoint-independent.
  let filtering: NatBehaviour;
  const changeBoth = await probe(client.request(server, { attributes: [{ type: 'CHANGE-REQUEST', changeIp: true, changePort: true }], timeoutMs: options.probeTimeoutMs }));
  if (changeBoth !== undefined && changeBoth.message.messageClass === 'success' && changeBoth.from.address !== first.from.address) {
    filtering = 'endpoint-independent';
  } else {
    // Test III: change port only; an answer means address-dependent.
    const changePort = await probe(client.request(server, { attributes: [{ type: 'CHANGE-REQUEST', changeIp: false, changePort: true }], timeoutMs: options.probeTimeoutMs }));
    filtering = changePort !== undefined && changePort.message.messageClass === 'success' && changePort.from.port !== first.from.port ? 'address-dependent' : 'address-and-port-dependent';
  }

  // §4.3 mapping test II: alternate IP, primary port. Same mapping means endpoint-independent.
  let mapping: NatBehaviour;
  const alternateIp = { address: other.address, port: server.port };
  const m2 = mapped(await client.request(alternateIp, { timeoutMs: options.timeoutMs }), formatEndpoint(alternateIp));
  if (sameEndpoint(m1, m2)) {
    mapping = 'endpoint-independent';
  } else {
    // Test III: alternate IP and alternate port. Same as test II means address-dependent.
    const m3 = mapped(await client.request(other, { timeoutMs: options.timeoutMs }), formatEndpoint(other));
    mapping = sameEndpoint(m2, m3) ? 'address-dependent' : 'address-and-port-dependent';
  }
  return { ...base, mapping, filtering, hairpin: await hairpin(options, m1) };
}

/**
 * §4.5 hairpinning: send a Binding request to our own mapped address; the NAT hairpins if the
 * request comes back to the socket. Retransmitted on the §6.2.1 schedule within the probe time.
 */
function hairpin(options: DiscoveryOptions, mappedAddress: TransportAddress): Promise<boolean> {
  const { client } = options;
  const transactionId = newTransactionId();
  const bytes = encodeStun(bindingRequest(transactionId));
  return new Promise<boolean>((resolve) => {
    const done = (result: boolean): void => {
      client.onRequest(() => {});
      resolve(result);
    };
    client.onRequest((message) => {
      if (message.transactionId.equals(transactionId)) done(true);
    });
    client.send(bytes, transactionId, mappedAddress, options.probeTimeoutMs).then(
      // Nothing answers our own request; a response would mean something else is listening there.
      () => done(false),
      () => done(false),
    );
  });
}

/** A plain sentence for installers: what the NAT means for remote phones. */
export function natVerdict(report: NatReport): string {
  if (report.natPresent === false) {
    return 'No NAT: this host has a public address. Open the SIP and RTP ports in the firewall and phones can reach it directly.';
  }
  if (report.mapping === undefined || report.filtering === undefined) {
    return `The STUN server ${report.server} does not support RFC 5780 (no OTHER-ADDRESS), so the NAT behaviour cannot be tested. Use a server with two addresses, e.g. 'sbc-agent stun-server --alternate ADDR:PORT'.`;
  }
  if (report.mapping !== 'endpoint-independent') {
    return `${capitalise(report.mapping)} mapping (a "symmetric" NAT): the address STUN reports is not valid toward other peers. Remote phones behind this router need the agent as outbound proxy (media through the tunnel), a TURN relay, or port forwarding of the SIP and RTP ports.`;
  }
  if (report.filtering === 'endpoint-independent') {
    return 'Endpoint-independent mapping and filtering: remote phones can use STUN behind this router without port forwarding.';
  }
  return `Endpoint-independent mapping with ${report.filtering} filtering: STUN gives phones a usable public address, but packets get in only from peers the phone has sent to first. Phones must keep their registration alive (keep-alives every 25 s or so) and use symmetric RTP; forward the SIP and RTP ports if calls arrive without audio.`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
