/**
 * Message waiting indication: when a box's counts change, an unsolicited NOTIFY (Event:
 * message-summary, RFC 3842 §5 body) goes to every contact registered for the box's extension
 * (a queue box: to each of its member extensions). Unsolicited rather than subscribed: the desk
 * phones of a branch (Yealink, Snom, Grandstream, Polycom) light their lamp from an out-of-dialog
 * NOTIFY sent to their registered contact, and most of them send no SUBSCRIBE for voicemail unless
 * a mailbox URI is provisioned. Each NOTIFY is its own request (new Call-ID, CSeq 1, From the
 * box's account with a tag, To the extension without one). A phone that does not answer is
 * counted, not retried: the next change sends the counts again (sending them when a phone
 * registers is for the registrar's wiring, not done yet).
 */
import { randomBytes } from 'node:crypto';
import type { SipHeader, SipRequest, SipResponse } from '../sip/index.js';
import type { BoxId } from './box-index.js';
import { MESSAGE_SUMMARY_CONTENT_TYPE, MESSAGE_SUMMARY_EVENT, boxSummary, encodeMessageSummary } from './message-summary.js';

/** Where a registered phone is reached: its Contact URI and the transport target the stack sends to. */
export interface MwiContact {
  readonly contact: string;
  readonly target: { readonly transport: 'udp' | 'tcp' | 'tls'; readonly host: string; readonly port: number; readonly flowId?: string };
}

export interface MwiNotifierOptions {
  /** The domain of the accounts (`sip:<ext>@<domain>`): the registrar's realm or the agent's address. */
  readonly domain: string;
  /** The contacts registered for an extension now. */
  readonly contactsOf: (extension: string) => readonly MwiContact[];
  /** The extensions whose lamps show a queue box (its members); extension boxes show on their own. */
  readonly queueMembers?: (queue: string) => readonly string[];
  /** A new Via header value for the target's transport (the stack's endpoint.newVia). */
  readonly newVia: (transport: MwiContact['target']['transport']) => string;
  /** Sends a request in its own client transaction (SipStack.request). */
  readonly request: (request: SipRequest, target: MwiContact['target']) => Promise<SipResponse>;
  readonly random?: (n: number) => Buffer;
}

export interface MwiCounters {
  readonly sent: number;
  readonly answered2xx: number;
  readonly failed: number;
}

/** The NOTIFY for one contact (pure). */
export function buildMwiNotify(o: { readonly account: string; readonly to: string; readonly contact: string; readonly via: string; readonly callId: string; readonly fromTag: string; readonly counts: { readonly new: number; readonly old: number } }): SipRequest {
  const body = Buffer.from(encodeMessageSummary(boxSummary(o.account, o.counts)));
  const headers: SipHeader[] = [
    { name: 'Via', value: o.via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<${o.account}>;tag=${o.fromTag}` },
    { name: 'To', value: `<${o.to}>` },
    { name: 'Call-ID', value: o.callId },
    { name: 'CSeq', value: '1 NOTIFY' },
    { name: 'Event', value: MESSAGE_SUMMARY_EVENT },
    // RFC 6665 §4.1.3: a NOTIFY outside a subscription still says its state; it ends at once.
    { name: 'Subscription-State', value: 'terminated;reason=timeout' },
    { name: 'Content-Type', value: MESSAGE_SUMMARY_CONTENT_TYPE },
    { name: 'Content-Length', value: String(body.length) },
  ];
  return { kind: 'request', version: 'SIP/2.0', method: 'NOTIFY', uri: o.contact, headers, body };
}

export class MwiNotifier {
  readonly #o: MwiNotifierOptions;
  #sent = 0;
  #ok = 0;
  #failed = 0;

  constructor(o: MwiNotifierOptions) {
    this.#o = o;
  }

  get counters(): MwiCounters {
    return { sent: this.#sent, answered2xx: this.#ok, failed: this.#failed };
  }

  /** Sends the box's counts to every phone that shows it; resolves when each has answered or failed. */
  async boxChanged(box: BoxId, counts: { readonly new: number; readonly old: number }): Promise<void> {
    const extensions = box.kind === 'extension' ? [box.number] : (this.#o.queueMembers?.(box.number) ?? []);
    const account = `sip:${box.number}@${this.#o.domain}`;
    const random = this.#o.random ?? randomBytes;
    const sends: Promise<void>[] = [];
    for (const extension of extensions) {
      for (const c of this.#o.contactsOf(extension)) {
        const request = buildMwiNotify({
          account,
          to: `sip:${extension}@${this.#o.domain}`,
          contact: c.contact,
          via: this.#o.newVia(c.target.transport),
          callId: `${random(8).toString('hex')}@mwi`,
          fromTag: random(4).toString('hex'),
          counts,
        });
        this.#sent++;
        sends.push(
          this.#o.request(request, c.target).then(
            (r) => {
              if (r.status >= 200 && r.status < 300) this.#ok++;
              else this.#failed++;
            },
            () => {
              this.#failed++;
            },
          ),
        );
      }
    }
    await Promise.all(sends);
  }
}
