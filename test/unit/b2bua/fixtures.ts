/**
 * A small routing model with passwords (turned into HA1s as the hub does), fake incoming requests
 * that record their responses, and REGISTER/INVITE builders for the registrar and call path tests.
 */
import { ManualClock } from '../../../src/core/index.js';
import { DigestClient, getHeader, parseMessage, type ServerRequest, type SipRequest, type SipResponse, type TransactionSource } from '../../../src/sip/index.js';
import { parseRoutingYaml, type RoutingModel } from '../../../src/routing/index.js';
import { LocalRegistrar, PhoneAuth, type BindingStore, type LocalBinding } from '../../../src/b2bua/index.js';

export const REALM = 'branch.test';
export const PASSWORDS: Readonly<Record<string, string>> = { '101': 'pw101', '102': 'pw102', '103': 'pw103' };

export const MODEL: RoutingModel = parseRoutingYaml(`
version: 3
realm: ${REALM}
extensions:
  - { number: 101, name: Alice, password: pw101 }
  - { number: 102, name: Bob, password: pw102 }
  - { number: 103, name: Carol, password: pw103, enabled: false }
trunks:
  - { name: itsp, kind: ip, host: 10.9.0.2, port: 5070 }
  - { name: gw, kind: ip, host: 10.9.0.2, port: 5080 }
  - { name: named, kind: ip, host: gw.example.net }
`, { allowPasswords: true });

export const PHONE_A: TransactionSource = { transport: 'UDP', address: '192.168.1.21', port: 5060 };
export const PHONE_B: TransactionSource = { transport: 'UDP', address: '192.168.1.22', port: 5062 };

export interface Incoming extends ServerRequest {
  readonly responses: SipResponse[];
}

export function incoming(request: SipRequest, source: TransactionSource): Incoming {
  const responses: SipResponse[] = [];
  return { request, source, responses, respond: (r) => responses.push(r) };
}

let seq = 0;

export interface RegisterSpec {
  readonly user: string;
  readonly contact?: string;
  readonly expires?: number | undefined;
  readonly callId?: string;
  readonly cseq?: number;
  readonly userAgent?: string;
  readonly extra?: readonly string[];
}

export function register(spec: RegisterSpec): SipRequest {
  const lines = [
    `REGISTER sip:${REALM} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bK-${++seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:${spec.user}@${REALM}>;tag=f${seq}`,
    `To: <sip:${spec.user}@${REALM}>`,
    `Call-ID: ${spec.callId ?? `reg-${spec.user}`}`,
    `CSeq: ${spec.cseq ?? seq} REGISTER`,
    ...(spec.contact === undefined ? [] : [`Contact: ${spec.contact}`]),
    ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
    ...(spec.userAgent === undefined ? [] : [`User-Agent: ${spec.userAgent}`]),
    ...(spec.extra ?? []),
    'Content-Length: 0',
    '', '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

export function invite(from: string, options: { toTag?: string; extra?: readonly string[] } = {}): SipRequest {
  const lines = [
    `INVITE sip:102@${REALM} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bK-i${++seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:${from}@${REALM}>;tag=f${seq}`,
    `To: <sip:102@${REALM}>${options.toTag === undefined ? '' : `;tag=${options.toTag}`}`,
    `Call-ID: call-${seq}`,
    `CSeq: 1 INVITE`,
    `Contact: <sip:${from}@192.168.1.21:5060>`,
    ...(options.extra ?? []),
    'Content-Length: 0',
    '', '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

/** `request` with the credentials answering `challenge` added (the phone's second attempt). */
export function answered(request: SipRequest, challenge: SipResponse, user: string, password: string): SipRequest {
  const client = new DigestClient({ username: user, password });
  const header = client.answer(challenge, { method: request.method, uri: request.uri });
  return { ...request, headers: [...request.headers, header] };
}

export class MemoryStore implements BindingStore {
  saved: LocalBinding[][] = [];
  save(bindings: readonly LocalBinding[]): Promise<void> {
    this.saved.push([...bindings]);
    return Promise.resolve();
  }
}

export interface Rig {
  readonly clock: ManualClock;
  readonly auth: PhoneAuth;
  readonly registrar: LocalRegistrar;
  readonly store: MemoryStore;
  model: RoutingModel | undefined;
}

export function rig(initial: readonly LocalBinding[] = []): Rig {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const r = { clock, store, model: MODEL as RoutingModel | undefined } as Rig & { auth: PhoneAuth; registrar: LocalRegistrar };
  const routing = (): RoutingModel | undefined => r.model;
  r.auth = new PhoneAuth({ clock, routing, secret: Buffer.alloc(32, 7) });
  r.registrar = new LocalRegistrar({ clock, routing, auth: r.auth, store, initial });
  return r;
}

/** Sends `request` from `source`; answers a 401 with the password and sends again. The final response. */
export async function registerAs(r: Rig, spec: RegisterSpec, source: TransactionSource, password = PASSWORDS[spec.user] ?? 'x'): Promise<SipResponse> {
  const base = spec.cseq ?? (seq += 2);
  const first = incoming(register({ ...spec, cseq: base }), source);
  await r.registrar.handle(first);
  const challenge = first.responses[0];
  if (challenge?.status !== 401) return last(first.responses);
  const second = incoming(answered(register({ ...spec, cseq: base + 1 }), challenge, spec.user, password), source);
  await r.registrar.handle(second);
  return last(second.responses);
}

export function last(responses: readonly SipResponse[]): SipResponse {
  const response = responses.at(-1);
  if (response === undefined) throw new Error('no response');
  return response;
}

export function contactsOf(response: SipResponse): string[] {
  return response.headers.filter((h) => h.name === 'Contact').map((h) => h.value);
}

export { getHeader };
