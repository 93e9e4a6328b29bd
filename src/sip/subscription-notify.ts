/**
 * A NOTIFY inside a subscription's dialog (RFC 6665 §4.2.2, §8.2.3), as a notifier sends it: the
 * dialog's Call-ID and tags, its next CSeq, the Event and Subscription-State, and the body as given
 * (Content-Type only with a body). Shared by the agent's relayed subscriptions and its own
 * survival notifier. Pure.
 */
import type { SipHeader, SipRequest } from './message.js';

/** What the notifier keeps of a subscription's dialog. */
export interface NotifierDialog {
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly event: string;
  readonly remoteTarget: string;
}

export interface NotifyContent {
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export function subscriptionNotify(d: NotifierDialog, subscriptionState: string, via: string, contact: string, content: NotifyContent | undefined): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: d.from },
    { name: 'To', value: d.to },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${d.cseq} NOTIFY` },
    { name: 'Contact', value: contact },
    { name: 'Event', value: d.event },
    { name: 'Subscription-State', value: subscriptionState },
  ];
  if (content?.contentType !== undefined && content.body.length > 0) headers.push({ name: 'Content-Type', value: content.contentType });
  return { kind: 'request', version: 'SIP/2.0', method: 'NOTIFY', uri: d.remoteTarget, headers, body: content?.body ?? Buffer.alloc(0) };
}
