/**
 * doctor's SIP ALG test. A router's "SIP ALG" (SIP helper, SIP fixup) rewrites the addresses in
 * SIP it passes (Via, Contact, SDP) to its own public address, and in doing so often breaks the
 * registration and audio of SIP that does not expect it. doctor sends an OPTIONS over plain UDP to
 * the hub's SIP echo (src/hub-sip-echo.ts, `hub.sipEcho`, port 5060 by default: the port ALGs
 * watch), the hub answers with the request exactly as it arrived, and this file compares the two
 * header by header. Pure: building the request and judging the answer; doctor.ts sends it.
 *
 * Limits: an ALG that only acts on REGISTER or INVITE, or on other ports than the echo's, is not
 * seen; nor one that rewrites only SDP (the OPTIONS carries none). A NAT without an ALG changes
 * only the source address, which the echo reports but does not count as a rewrite. The agent's own
 * SIP travels inside the encrypted tunnel, out of any ALG's reach, so a rewrite found is a warning
 * for the plain SIP through this router (phones that reach a PBX or a provider directly), not a
 * failure of the agent.
 */
import { getHeaders, parseMessage } from '../sip/index.js';
import type { CheckResult } from './doctor-checks.js';

export interface SipAlgRequestOptions {
  /** The address and port the request is sent from (the local end of the connected socket). */
  readonly local: { readonly address: string; readonly port: number };
  /** The echo's address and port. */
  readonly target: { readonly host: string; readonly port: number };
  /** Random tokens for Call-ID, branch and tag (hex); the Call-ID has no address, for ALGs rewrite those too. */
  readonly token: string;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** An OPTIONS whose Via and Contact carry this side's address, as any SIP phone's would. */
export function sipAlgRequest(o: SipAlgRequestOptions): Buffer {
  const local = hostPort(o.local.address, o.local.port);
  const target = hostPort(o.target.host, o.target.port);
  return Buffer.from([
    `OPTIONS sip:echo@${target} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${o.token};rport`,
    'Max-Forwards: 70',
    `From: <sip:doctor@${local}>;tag=${o.token.slice(0, 8)}`,
    `To: <sip:echo@${target}>`,
    `Call-ID: doctor-${o.token}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:doctor@${local}>`,
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
}

/** A header whose value differs between what was sent and what the hub received. */
export interface HeaderRewrite {
  readonly name: string;
  readonly sent: string | undefined;
  readonly received: string | undefined;
}

/** The headers (by name, in order of appearance) whose values differ; Via and Contact first. */
export function headerRewrites(sent: Buffer, received: Buffer): HeaderRewrite[] | undefined {
  let a;
  let b;
  try {
    a = parseMessage(sent);
    b = parseMessage(received);
  } catch {
    return undefined;
  }
  const names = [...new Set([...a.headers, ...b.headers].map((h) => h.name))].filter((n) => n !== 'Content-Length');
  const rewrites: HeaderRewrite[] = [];
  for (const name of names) {
    const x = getHeaders(a, name);
    const y = getHeaders(b, name);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] !== y[i]) rewrites.push({ name, sent: x[i], received: y[i] });
    }
  }
  const rank = (n: string): number => (n === 'Via' ? 0 : n === 'Contact' ? 1 : 2);
  return rewrites.sort((p, q) => rank(p.name) - rank(q.name));
}

/** `--sip-echo HOST:PORT` (an IPv6 address in brackets); undefined when it is not one. */
export function parseEchoTarget(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

export interface SipAlgObservation {
  /** HOST:PORT of the echo. */
  readonly target: string;
  readonly sent: Buffer;
  /** The request as the hub received it; absent when no echo came back. */
  readonly received?: Buffer;
  /** The source address the hub saw (the branch's public address behind a NAT). */
  readonly seenFrom?: string;
  /** Why nothing came back: `timeout`, `ECONNREFUSED` (ICMP port unreachable)... */
  readonly error?: string;
}

function quote(v: string | undefined): string {
  return v === undefined ? '(none)' : `'${v}'`;
}

export function sipAlgCheck(o: SipAlgObservation): CheckResult {
  if (o.received === undefined) {
    const why = o.error === 'ECONNREFUSED' ? 'refused (nothing listens there)' : o.error === 'timeout' || o.error === undefined ? 'no answer' : o.error;
    return {
      check: 'sip-alg', status: 'warn',
      says: `the SIP ALG test was not run: the hub's SIP echo (UDP ${o.target}) gave ${why}`,
      todo: "ask the hub's admin to turn on hub.sipEcho (hub.yaml), and allow UDP to it; or point doctor at an echo with --sip-echo HOST:PORT",
    };
  }
  const rewrites = headerRewrites(o.sent, o.received);
  if (rewrites === undefined) return { check: 'sip-alg', status: 'warn', says: `the hub's SIP echo (${o.target}) sent back something that is not SIP: something on the way mangles SIP`, todo: 'look for a SIP ALG or SIP helper on the router and turn it off' };
  const from = o.seenFrom === undefined ? '' : ` (the hub saw it from ${o.seenFrom})`;
  if (rewrites.length === 0) return { check: 'sip-alg', status: 'ok', says: `a SIP OPTIONS to the hub's echo (UDP ${o.target}) arrived unchanged${from}: no SIP ALG rewrote Via or Contact` };
  const named = [...new Set(rewrites.map((r) => r.name))].join(', ');
  const first = rewrites[0];
  return {
    check: 'sip-alg', status: 'warn',
    says: `a SIP ALG on the way to the hub rewrote ${named}${from}: ${first?.name ?? ''} ${quote(first?.sent)} arrived as ${quote(first?.received)}. The agent's tunnel is encrypted and out of its reach, but plain SIP through this router (phones reaching a PBX or provider directly) gets wrong addresses`,
    todo: "turn the router's SIP ALG off (it is called 'SIP ALG', 'SIP helper', 'SIP fixup' or 'SIP passthrough'; on Linux routers unload nf_nat_sip/nf_conntrack_sip)",
  };
}
