/**
 * A test phone on a real UDP SIP stack (127.0.0.1): it rings, answers, refuses or stays silent on
 * command, calls out, hangs up, puts on hold, sends INFO, and has an RTP socket whose port its SDP
 * names, so tests can send RTP through the B2BUA's relay and see it arrive.
 */
import type { ManualClock } from '../../../src/core/index.js';
import { bindUdp, type DatagramSocket } from '../../../src/net/index.js';
import {
  SipStack, SipTransportLayer, buildResponse, getHeader, newTag,
  type ServerRequest, type SipHeader, type SipRequest, type SipResponse,
} from '../../../src/sip/index.js';
import { Dialog, contactUri } from '../../../src/b2bua/dialog.js';

export type PhoneMode = 'ring' | 'answer' | 'busy' | 'decline' | 'refuse' | 'silent' | 'early-media' | 'challenge';

export function phoneSdp(rtpPort: number, direction = 'sendrecv', version = 1): string {
  return [
    'v=0', `o=- 4711 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', `a=${direction}`, '',
  ].join('\r\n');
}

const SDP_TYPE: SipHeader = { name: 'Content-Type', value: 'application/sdp' };

/** The m= port and c= address of an SDP. */
export function mediaTarget(sdp: Buffer | string): { address: string; port: number } {
  const text = sdp.toString();
  return { address: /c=IN IP4 (\S+)/.exec(text)?.[1] ?? '', port: Number(/m=audio (\d+)/.exec(text)?.[1] ?? 0) };
}

export class TestPhone {
  mode: PhoneMode = 'ring';
  /** The status of mode 'refuse'. */
  refuseWith = 503;
  /** Every request the phone received, in order. */
  readonly received: SipRequest[] = [];
  readonly rtpReceived: Buffer[] = [];
  /** The INVITE ringing now (as UAS). */
  pending: ServerRequest | undefined;
  dialog: Dialog | undefined;
  /** The last SDP the phone got (offer or answer): where it sends RTP. */
  remoteSdp: Buffer | undefined;
  /** Answers to a challenge (mode 'challenge'): the INVITE must carry Proxy-Authorization. */
  challenge: SipHeader[] = [];
  readonly #localTag = newTag();
  #callInvite: SipRequest | undefined;

  private constructor(readonly extension: string, readonly stack: SipStack, readonly rtp: DatagramSocket) {
    rtp.onMessage((data) => this.rtpReceived.push(data));
    stack.onRequest((incoming) => this.#onRequest(incoming));
  }

  static async open(extension: string, clock: ManualClock): Promise<TestPhone> {
    const udp = await bindUdp({ address: '127.0.0.1', port: 0 });
    const rtp = await bindUdp({ address: '127.0.0.1', port: 0 });
    const stack = new SipStack({ clock, transport: new SipTransportLayer({ clock, udp }) });
    stack.start();
    return new TestPhone(extension, stack, rtp);
  }

  get port(): number {
    return Number(this.stack.hostPort('UDP').split(':')[1]);
  }

  /** Never ACK a 2xx (a caller whose ACK is lost). */
  skipAck = false;
  /** The status a re-INVITE gets (default 200 with the phone's SDP). */
  reinviteStatus = 200;
  /** Replaces the phone's SDP (a broken one, for negative tests). */
  sdpOverride: string | undefined;

  get sdp(): string {
    return this.sdpOverride ?? phoneSdp(this.rtp.local.port);
  }

  requests(method: string): SipRequest[] {
    return this.received.filter((r) => r.method === method);
  }

  /** Answers the ringing INVITE with 200 and its SDP. */
  answer(): void {
    const incoming = this.pending;
    if (incoming === undefined) throw new Error(`${this.extension}: nothing ringing`);
    this.pending = undefined;
    const ok = buildResponse(incoming.request, 200, 'OK', [{ name: 'Contact', value: `<sip:${this.extension}@${this.stack.hostPort('UDP')}>` }, SDP_TYPE], Buffer.from(this.sdp), { toTag: this.#localTag });
    incoming.respond(ok);
    this.dialog = new Dialog(this.stack, {
      callId: getHeader(incoming.request, 'Call-ID') ?? '', local: getHeader(ok, 'To') ?? '', remote: getHeader(incoming.request, 'From') ?? '',
      remoteTarget: contactUri(getHeader(incoming.request, 'Contact')) ?? '', routeSet: [], localCseq: 100,
      target: { transport: 'UDP', host: incoming.source.address, port: incoming.source.port },
    });
  }

  /** A final non-2xx to the ringing INVITE. */
  refuse(status: number): void {
    const incoming = this.pending;
    if (incoming === undefined) throw new Error(`${this.extension}: nothing ringing`);
    this.pending = undefined;
    incoming.respond(buildResponse(incoming.request, status, undefined, [], undefined, { toTag: this.#localTag }));
  }

  /**
   * Calls `dialled` through the B2BUA at `port`; resolves with the final response (2xx ACKed, dialog
   * kept). Without `offer` the INVITE has no SDP (late offer) and the ACK carries the answer.
   */
  async call(dialled: string, port: number, provisionals: SipResponse[] = [], extraHeaders: SipHeader[] = [], offer = true): Promise<SipResponse> {
    const fromTag = newTag();
    const replaced = new Set(extraHeaders.map((h) => h.name.toLowerCase()));
    const base: SipHeader[] = [
      { name: 'Via', value: this.stack.newVia('UDP') }, { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:${this.extension}@127.0.0.1>;tag=${fromTag}` }, { name: 'To', value: `<sip:${dialled}@127.0.0.1>` },
      { name: 'Call-ID', value: `${newTag()}@phone-${this.extension}` }, { name: 'CSeq', value: '1 INVITE' },
      { name: 'Contact', value: `<sip:${this.extension}@${this.stack.hostPort('UDP')}>` },
    ];
    const invite: SipRequest = {
      kind: 'request', method: 'INVITE', uri: `sip:${dialled}@127.0.0.1:${port}`, version: 'SIP/2.0', body: offer ? Buffer.from(this.sdp) : Buffer.alloc(0),
      headers: [...base.filter((h) => !replaced.has(h.name.toLowerCase())), ...extraHeaders, ...(offer ? [SDP_TYPE] : [])],
    };
    this.#callInvite = invite;
    const target = { transport: 'UDP' as const, host: '127.0.0.1', port };
    const response = await this.stack.request(invite, target, (r) => provisionals.push(r));
    if (response.status >= 200 && response.status < 300) {
      this.remoteSdp = response.body;
      this.dialog = new Dialog(this.stack, {
        callId: getHeader(invite, 'Call-ID') ?? '', local: getHeader(invite, 'From') ?? '', remote: getHeader(response, 'To') ?? '',
        remoteTarget: contactUri(getHeader(response, 'Contact')) ?? '', routeSet: [], localCseq: 1, target,
      });
      if (this.skipAck) return response;
      if (offer) await this.dialog.ack(1);
      else await this.dialog.ack(1, Buffer.from(this.sdp), [SDP_TYPE]);
    }
    return response;
  }

  /** CANCEL for the INVITE of call() (§9.1: its Via, Call-ID, From, To, CSeq number). */
  cancel(port: number): Promise<SipResponse> {
    const invite = this.#callInvite;
    if (invite === undefined) throw new Error('no call to cancel');
    const keep = new Set(['via', 'from', 'to', 'call-id', 'max-forwards']);
    const headers = [...invite.headers.filter((h) => keep.has(h.name.toLowerCase())), { name: 'CSeq', value: '1 CANCEL' }];
    return this.stack.request({ kind: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) }, { transport: 'UDP', host: '127.0.0.1', port });
  }

  /** An in-dialog request (BYE, INFO, re-INVITE...); a 2xx to a re-INVITE is ACKed. */
  async send(method: string, body?: string, headers: SipHeader[] = []): Promise<SipResponse> {
    const dialog = this.dialog;
    if (dialog === undefined) throw new Error(`${this.extension}: no dialog`);
    const extra = body === undefined ? headers : [...headers, method === 'INFO' ? { name: 'Content-Type', value: 'application/dtmf-relay' } : SDP_TYPE];
    const request = dialog.build(method, extra, body === undefined ? undefined : Buffer.from(body));
    const response = await this.stack.request(request, dialog.target);
    if (method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.remoteSdp = response.body;
      await dialog.ack(Number.parseInt(getHeader(request, 'CSeq') ?? '0', 10));
    }
    if (method === 'BYE') this.dialog = undefined;
    return response;
  }

  /** Sends `count` RTP packets (PCMU, then one RFC 4733 telephone-event) to where the last SDP points. */
  sendRtp(count: number, ssrc: number): void {
    const target = mediaTarget(this.remoteSdp ?? '');
    for (let i = 0; i < count; i++) {
      const packet = Buffer.alloc(12 + 20);
      packet[0] = 0x80;
      packet[1] = i === count - 1 ? 101 : 0;
      packet.writeUInt16BE(i, 2);
      packet.writeUInt32BE(i * 160, 4);
      packet.writeUInt32BE(ssrc, 8);
      this.rtp.send(packet, target.port, target.address);
    }
  }

  async close(): Promise<void> {
    await this.stack.close();
    await this.rtp.close();
  }

  #onRequest(incoming: ServerRequest): void {
    const { request } = incoming;
    this.received.push(request);
    const toTag = /;tag=([^;>\s]+)/.exec(getHeader(request, 'To') ?? '')?.[1];
    switch (request.method) {
      case 'INVITE':
        if (toTag !== undefined) {
          if (this.reinviteStatus !== 200) {
            incoming.respond(buildResponse(request, this.reinviteStatus));
            return;
          }
          this.remoteSdp = request.body;
          const held = /a=(sendonly|inactive)/.test(request.body.toString());
          incoming.respond(buildResponse(request, 200, 'OK', [{ name: 'Contact', value: `<sip:${this.extension}@${this.stack.hostPort('UDP')}>` }, SDP_TYPE],
            Buffer.from(phoneSdp(this.rtp.local.port, held ? 'recvonly' : 'sendrecv', 2))));
          return;
        }
        this.#onInvite(incoming);
        return;
      case 'CANCEL': {
        incoming.respond(buildResponse(request, 200));
        const ringing = this.pending;
        this.pending = undefined;
        ringing?.respond(buildResponse(ringing.request, 487, undefined, [], undefined, { toTag: this.#localTag }));
        return;
      }
      case 'ACK':
        return;
      case 'BYE':
        this.dialog = undefined;
        incoming.respond(buildResponse(request, 200));
        return;
      default:
        incoming.respond(buildResponse(request, 200));
    }
  }

  #onInvite(incoming: ServerRequest): void {
    this.remoteSdp = incoming.request.body;
    const tag = { toTag: this.#localTag };
    switch (this.mode) {
      case 'busy':
        incoming.respond(buildResponse(incoming.request, 486, undefined, [], undefined, tag));
        return;
      case 'decline':
        incoming.respond(buildResponse(incoming.request, 603, undefined, [], undefined, tag));
        return;
      case 'refuse':
        incoming.respond(buildResponse(incoming.request, this.refuseWith, undefined, [], undefined, tag));
        return;
      case 'silent':
        this.pending = incoming;
        return;
      case 'challenge':
        if (getHeader(incoming.request, 'Proxy-Authorization') === undefined) {
          incoming.respond(buildResponse(incoming.request, 407, undefined, this.challenge, undefined, tag));
          return;
        }
        this.pending = incoming;
        this.answer();
        return;
      case 'early-media':
        this.pending = incoming;
        incoming.respond(buildResponse(incoming.request, 183, undefined, [SDP_TYPE], Buffer.from(this.sdp), tag));
        return;
      case 'ring':
      case 'answer':
        this.pending = incoming;
        incoming.respond(buildResponse(incoming.request, 180, undefined, [], undefined, tag));
        if (this.mode === 'answer') this.answer();
    }
  }
}

