/**
 * The seams of the agent's routing core at work (issue 11 "Execution"): the local registrar
 * (registrar.ts) knows where each extension's phones are; the B2BUA (b2bua.ts) runs the plans of
 * `decide()` and asks the registrar where to ring. The local call path (local-call-path.ts) sits
 * on a LAN's SIP stack: REGISTER to the registrar, calls to the B2BUA after it knows who calls.
 */
import type { TransactionSource, TransportTarget } from '../sip/index.js';
import type { ExtensionStatus } from '../routing/index.js';

/** One registered phone (a binding of the local registrar, RFC 3261 §10.3). */
export interface PhoneContact {
  readonly extension: string;
  /** The Contact URI the phone registered. */
  readonly uri: string;
  /** Where the phone is reached: the flow the REGISTER came from (after rport, RFC 3581). */
  readonly target: TransportTarget;
  readonly userAgent?: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** What the B2BUA asks of the registrar. */
export interface PhoneLocator {
  /** The live contacts of an extension: every phone that rings for it (forked in parallel). */
  contactsOf(extension: string): readonly PhoneContact[];
  /**
   * The extension whose live binding was learnt from this flow (transport, address, port) with
   * this user part: a request from there is trusted without a new challenge.
   */
  extensionAt(source: TransactionSource, user: string): string | undefined;
  /** Extensions with at least one live binding (RoutingState.registered). */
  registered(): readonly string[];
}

/** Who a new call comes from, as the local call path established it. */
export type CallOrigin =
  | { readonly kind: 'extension'; readonly number: string }
  | { readonly kind: 'trunk'; readonly name: string };

/** Manual statuses set by dial codes, kept across restarts. */
export interface StatusStore {
  all(): Readonly<Record<string, ExtensionStatus>>;
  set(extension: string, status: ExtensionStatus): void;
}
