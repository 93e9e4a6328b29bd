/**
 * The pieces of shared subscriptions (subscriptions.ts) that hold no state: a watcher's dialog as
 * the agent keeps it, the NOTIFY built for it, and header readers.
 */
import type { Timer } from '../core/index.js';
import { getHeader, parseNameAddr, subscriptionNotify, type SipMessage, type SipRequest, type TransportTarget } from '../sip/index.js';

export interface State {
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** The upstream's Subscription-State value (active or pending), mirrored to each watcher. */
  readonly value: 'active' | 'pending';
}

/** One watcher's dialog, the agent being its notifier (RFC 6665 §4.2). */
export interface Watcher {
  readonly callId: string;
  readonly remoteTag: string;
  readonly localTag: string;
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly remoteTarget: string;
  readonly target: TransportTarget;
  cseq: number;
  expiresAt: number;
  timer: Timer | undefined;
  chain: Promise<void>;
}

/** A NOTIFY in the watcher's own dialog (RFC 6665 §4.2.2, §8.2.3): its Call-ID and tags, the next CSeq; the body as it is. */
export function watcherNotify(w: Watcher, state: State | undefined, subscriptionState: string, via: string, contact: string): SipRequest {
  return subscriptionNotify(w, subscriptionState, via, contact, state);
}

export function watcherKey(callId: string, localTag: string): string {
  return `${callId}|${localTag}`;
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params.get('tag');
  } catch {
    return undefined;
  }
}

export function contactUri(msg: SipMessage): string | undefined {
  const value = getHeader(msg, 'Contact');
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

/** Expires of a SUBSCRIBE (RFC 6665 §4.1.2.1), capped; absent → the cap (the package default). */
export function requestedExpires(request: SipRequest, cap: number): number {
  const raw = getHeader(request, 'Expires');
  const n = raw === undefined ? cap : Number(raw.trim());
  return Number.isInteger(n) && n >= 0 ? Math.min(n, cap) : cap;
}

