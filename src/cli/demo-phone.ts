/**
 * The built-in phone of `sbc-agent demo --call`: a small SIP user agent on the project's SIP
 * stack (UDP) with an RTP socket, enough for one test call through an outbound proxy (the agent):
 * REGISTER with digest (RegisterClient), one call as caller (INVITE, 407 answered once with the
 * extension's password, ACK, BYE) or as callee (180, 200 with its SDP, ACK awaited, BYE
 * answered), a tone sent as PCMU in 20 ms packets (RtpPlayer) and the audio received kept to be
 * measured. Every request goes to the proxy; the dialog's route set (RFC 3261 §12.1) is kept so
 * the proxy can route in-dialog requests.
 */
import { decodeG711, dominantFrequency, RtpPlayer, toneSamples } from '../media/index.js';
import { bindUdp, type DatagramSocket } from '../net/index.js';
import { parseRtpHeader } from '../rtp/index.js';
import {
  DigestClient, RegisterClient, buildResponse, getHeader, getHeaders, newTag, parseNameAddr, withCredentials,
  type ServerRequest, type SipHeader, type SipRequest, type SipStack, type TransportTarget,
} from '../sip/index.js';
import { realClock } from '../core/index.js';
import { openSipStack } from './sip-sockets.js';

const SDP_TYPE: SipHeader = { name: 'Content-Type', value: 'application/sdp' };
/** How long the callee waits for the INVITE, and the caller for the answer. */
const CALL_TIMEOUT_MS = 15_000;

export interface DemoPhoneOptions {
  readonly user: string;
  readonly password: string;
  /** The address this phone binds (SIP and RTP): the proxy's, so it reaches it. */
  readonly address: string;
  /** The outbound proxy (the agent's SIP listener). */
  readonly proxy: { readonly host: string; readonly port: number };
  /** The domain of the AORs and the registrar URI. */
  readonly domain: string;
}

/** What the phone received on its RTP socket. */
export interface ReceivedAudio {
  readonly packets: number;
  /** Of the candidate frequencies, the one that dominates the PCMU received; undefined: silence. */
  readonly frequency: number | undefined;
}

interface Dialog {
  readonly callId: string;
  readonly local: string;
  readonly remote: string;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  cseq: number;
}

function sdp(address: string, port: number): string {
  return ['v=0', `o=- ${Date.now()} 1 IN IP4 ${address}`, 's=sbc-agent demo', `c=IN IP4 ${address}`, 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

/** The c= address and m=audio port of an SDP body. */
function mediaTarget(body: Buffer): { address: string; port: number } | undefined {
  const text = body.toString('utf8');
  const address = /^c=IN IP[46] (\S+)/m.exec(text)?.[1];
  const port = Number(/^m=audio (\d+)/m.exec(text)?.[1]);
  return address === undefined || !(port > 0) ? undefined : { address, port };
}

function uriOf(nameAddr: string | undefined): string | undefined {
  if (nameAddr === undefined) return undefined;
  try {
    const uri = parseNameAddr(nameAddr).uri;
    return uri === '*' ? undefined : uri;
  } catch {
    return undefined;
  }
}

export class DemoPhone {
  readonly #o: DemoPhoneOptions;
  readonly #stack: SipStack;
  readonly #rtp: DatagramSocket;
  readonly #register: RegisterClient;
  readonly #proxy: TransportTarget;
  readonly #received: Buffer[] = [];
  #packets = 0;
  #dialog: Dialog | undefined;
  #remoteMedia: { address: string; port: number } | undefined;
  #incoming: ((request: ServerRequest) => void) | undefined;
  #acked: (() => void) | undefined;
  #byed: (() => void) | undefined;
  readonly #waits = new Set<() => void>();

  private constructor(o: DemoPhoneOptions, stack: SipStack, rtp: DatagramSocket) {
    this.#o = o;
    this.#stack = stack;
    this.#rtp = rtp;
    this.#proxy = { transport: 'UDP', host: o.proxy.host, port: o.proxy.port };
    this.#register = new RegisterClient({
      endpoint: stack, target: this.#proxy, registrarUri: `sip:${o.domain}`, aor: this.aor,
      username: o.user, password: o.password, expires: 300, userAgent: 'sbc-agent demo phone',
    });
    rtp.onMessage((data) => {
      try {
        const header = parseRtpHeader(data);
        if (header.payloadType !== 0) return;
        this.#packets++;
        this.#received.push(data.subarray(header.headerLength, header.headerLength + header.payloadLength));
      } catch {
        // Not RTP (RTCP or noise): not audio.
      }
    });
    stack.onRequest((incoming) => this.#onRequest(incoming));
  }

  static async open(o: DemoPhoneOptions): Promise<DemoPhone> {
    const stack = await openSipStack({ address: o.address, udpPort: 0, tcpClient: false });
    try {
      const rtp = await bindUdp({ address: o.address, port: 0 });
      return new DemoPhone(o, stack, rtp);
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  get aor(): string {
    return `sip:${this.#o.user}@${this.#o.domain}`;
  }

  /** Registers through the proxy; rejects with the registrar's refusal. */
  async register(): Promise<void> {
    await this.#register.register();
  }

  async unregister(): Promise<void> {
    await this.#register.unregister();
  }

  /** Calls `user`; resolves once the call is answered and ACKed, rejects with the final failure. */
  async call(user: string): Promise<void> {
    const callId = `${newTag()}@sbc-agent-demo`;
    const local = `<${this.aor}>;tag=${newTag()}`;
    const to = `<sip:${user}@${this.#o.domain}>`;
    const body = Buffer.from(sdp(this.#o.address, this.#rtp.local.port));
    const invite = (cseq: number, extra: SipHeader[]): SipRequest => ({
      kind: 'request', method: 'INVITE', uri: `sip:${user}@${this.#o.domain}`, version: 'SIP/2.0', body,
      headers: [
        { name: 'Via', value: this.#stack.newVia('UDP') }, { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: local }, { name: 'To', value: to }, { name: 'Call-ID', value: callId }, { name: 'CSeq', value: `${cseq} INVITE` },
        { name: 'Contact', value: `<sip:${this.#o.user}@${this.#stack.hostPort('UDP')};transport=udp>` }, { name: 'User-Agent', value: 'sbc-agent demo phone' },
        ...extra, SDP_TYPE,
      ],
    });
    let cseq = 1;
    let request = invite(cseq, []);
    let response = await this.#stack.request(request, this.#proxy);
    if (response.status === 401 || response.status === 407) {
      // RFC 3261 §22.2/§22.3: the same request again with credentials, CSeq + 1 (§8.1.3.5).
      const digest = new DigestClient({ username: this.#o.user, password: this.#o.password });
      const credentials = digest.answer(response, { method: 'INVITE', uri: request.uri });
      cseq++;
      request = withCredentials(invite(cseq, []), credentials);
      response = await this.#stack.request(request, this.#proxy);
    }
    if (response.status < 200 || response.status >= 300) throw new Error(`the call to ${user} failed: ${response.status} ${response.reason}`);
    const dialog: Dialog = {
      callId, local, remote: getHeader(response, 'To') ?? to,
      remoteTarget: uriOf(getHeader(response, 'Contact')) ?? request.uri,
      // §12.1.2: the UAC's route set is the Record-Route of the 2xx, reversed.
      routeSet: getHeaders(response, 'Record-Route').flatMap((v) => v.split(/,(?=\s*<)/)).map((v) => v.trim()).reverse(),
      cseq,
    };
    this.#dialog = dialog;
    this.#remoteMedia = mediaTarget(response.body);
    // §13.2.2.4: the ACK of a 2xx is a new request of the dialog with the INVITE's CSeq number.
    await this.#stack.sendStateless(this.#inDialog(dialog, 'ACK', cseq), this.#proxy);
  }

  /** Waits for a call, answers it, and resolves once it is ACKed. */
  async answer(): Promise<void> {
    const incoming = await this.#wait<ServerRequest>((resolve) => (this.#incoming = resolve), 'no call arrived');
    const { request } = incoming;
    const tag = newTag();
    const contact: SipHeader = { name: 'Contact', value: `<sip:${this.#o.user}@${this.#stack.hostPort('UDP')};transport=udp>` };
    const recordRoute = getHeaders(request, 'Record-Route').map((value) => ({ name: 'Record-Route', value }));
    incoming.respond(buildResponse(request, 180, 'Ringing', [...recordRoute, contact], undefined, { toTag: tag }));
    this.#remoteMedia = mediaTarget(request.body);
    const ok = buildResponse(request, 200, 'OK', [...recordRoute, contact, SDP_TYPE], Buffer.from(sdp(this.#o.address, this.#rtp.local.port)), { toTag: tag });
    const acked = this.#wait<void>((resolve) => (this.#acked = resolve), 'the 200 OK was not acknowledged');
    incoming.respond(ok);
    this.#dialog = {
      callId: getHeader(request, 'Call-ID') ?? '', local: getHeader(ok, 'To') ?? '', remote: getHeader(request, 'From') ?? '',
      remoteTarget: uriOf(getHeader(request, 'Contact')) ?? '',
      // §12.1.1: the UAS's route set is the Record-Route of the request, in order.
      routeSet: recordRoute.flatMap((h) => h.value.split(/,(?=\s*<)/)).map((v) => v.trim()),
      cseq: 0,
    };
    await acked;
  }

  /** Sends `frequencyHz` as PCMU to the other side for `durationMs`. */
  async sendTone(frequencyHz: number, durationMs: number): Promise<number> {
    const target = this.#remoteMedia;
    if (target === undefined) throw new Error(`${this.#o.user}: the other side's SDP names no audio address`);
    const player = new RtpPlayer({ clock: realClock, law: 'ulaw', send: (packet) => this.#rtp.send(packet, target.port, target.address) });
    const outcome = await player.play(toneSamples(frequencyHz, durationMs));
    player.close();
    return outcome.packets;
  }

  /** What arrived so far, measured against `candidates`. */
  received(candidates: readonly number[]): ReceivedAudio {
    const payload = Buffer.concat(this.#received);
    return { packets: this.#packets, frequency: dominantFrequency(decodeG711(payload, 'ulaw'), candidates) };
  }

  /** Ends the call (BYE); resolves with the final status. */
  async hangUp(): Promise<number> {
    const dialog = this.#dialog;
    if (dialog === undefined) throw new Error(`${this.#o.user}: no call to end`);
    this.#dialog = undefined;
    dialog.cseq++;
    const response = await this.#stack.request(this.#inDialog(dialog, 'BYE', dialog.cseq), this.#proxy);
    return response.status;
  }

  /** Resolves when the other side ended the call. */
  hungUp(): Promise<void> {
    return this.#wait<void>((resolve) => (this.#byed = resolve), 'no BYE arrived');
  }

  async close(): Promise<void> {
    for (const cancel of this.#waits) cancel();
    this.#waits.clear();
    this.#register.close();
    await this.#stack.close();
    await this.#rtp.close();
  }

  #inDialog(dialog: Dialog, method: string, cseq: number): SipRequest {
    return {
      kind: 'request', method, uri: dialog.remoteTarget, version: 'SIP/2.0', body: Buffer.alloc(0),
      headers: [
        { name: 'Via', value: this.#stack.newVia('UDP') }, { name: 'Max-Forwards', value: '70' },
        ...dialog.routeSet.map((value) => ({ name: 'Route', value })),
        { name: 'From', value: dialog.local }, { name: 'To', value: dialog.remote }, { name: 'Call-ID', value: dialog.callId },
        { name: 'CSeq', value: `${cseq} ${method}` },
      ],
    };
  }

  #wait<T>(arm: (resolve: (value: T) => void) => void, failure: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waits.delete(cancel);
        reject(new Error(`${this.#o.user}: ${failure} within ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      // close() ends every wait at once, so a failed call does not keep the command for the timeout.
      const cancel = (): void => {
        clearTimeout(timer);
        reject(new Error(`${this.#o.user}: closed`));
      };
      this.#waits.add(cancel);
      arm((value) => {
        clearTimeout(timer);
        this.#waits.delete(cancel);
        resolve(value);
      });
    });
  }

  #onRequest(incoming: ServerRequest): void {
    const { request } = incoming;
    switch (request.method) {
      case 'INVITE': {
        const take = this.#incoming;
        if (take === undefined || this.#dialog !== undefined) {
          incoming.respond(buildResponse(request, 486, 'Busy Here'));
          return;
        }
        this.#incoming = undefined;
        take(incoming);
        return;
      }
      case 'ACK':
        this.#acked?.();
        this.#acked = undefined;
        return;
      case 'BYE':
        incoming.respond(buildResponse(request, 200, 'OK'));
        this.#dialog = undefined;
        this.#byed?.();
        this.#byed = undefined;
        return;
      case 'OPTIONS':
        incoming.respond(buildResponse(request, 200, 'OK'));
        return;
      default:
        incoming.respond(buildResponse(request, 405, 'Method Not Allowed', [{ name: 'Allow', value: 'INVITE, ACK, BYE, OPTIONS' }]));
    }
  }
}
