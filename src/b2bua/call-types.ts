/**
 * What a B2BUA call needs from the B2BUA around it, and what it reports: kept apart from
 * call.ts so the call's logic reads without the plumbing.
 */
import type { Clock, Logger } from '../core/index.js';
import type { CdrRecord, RoutingModel } from '../routing/index.js';
import type { SipEndpoint, TransactionSource } from '../sip/index.js';
import type { CallMediaBridge } from './media-anchor.js';
import type { CallOrigin, PhoneLocator, StatusStore } from './types.js';

/** Events for the agent's log and alarms. */
export type B2buaEvent =
  | { readonly kind: 'started'; readonly callId: string; readonly caller: string; readonly callee: string; readonly at: number }
  | { readonly kind: 'emergency'; readonly caller: string; readonly number: string; readonly trunk: string; readonly at: number }
  | { readonly kind: 'answered'; readonly callId: string; readonly caller: string; readonly destination: string; readonly at: number }
  | { readonly kind: 'ended'; readonly callId: string; readonly endedReason: string; readonly at: number };

export type B2buaCallState = 'routing' | 'ringing' | 'answered' | 'ended';

/** One call for `status` and `sbc-agent calls`. */
export interface B2buaCallSummary {
  readonly callId: string;
  readonly caller: string;
  readonly callee: string;
  readonly state: B2buaCallState;
  /** B-legs ringing now (forks), or 1 when answered. */
  readonly legs: number;
  /** Where it rings or is connected: `extension:101`, `trunk:itsp/+442345`... */
  readonly destination: string | undefined;
  /** Epoch ms of the INVITE. */
  readonly since: number;
}

/** Which dialog of a call an in-dialog request arrived on. */
export type CallSide = 'caller' | 'callee';

export interface CallHost {
  readonly stack: SipEndpoint;
  readonly clock: Clock;
  readonly locator: PhoneLocator;
  readonly statuses: StatusStore;
  readonly agent: string;
  readonly survival: boolean;
  /** A flow many phones share (B2buaOptions.sharedFlow). */
  readonly sharedFlow?: (source: TransactionSource) => boolean;
  readonly logger: Logger;
  readonly emit: (event: B2buaEvent) => void;
  /** A dialog of the call is up: in-dialog requests with this Call-ID and our tag reach it. */
  readonly bindDialog: (callId: string, localTag: string, side: CallSide) => void;
  readonly noteRung: (group: string, extension: string) => void;
  readonly noteAnswered: (group: string, extension: string) => void;
  readonly finished: (cdr: CdrRecord) => void;
}

export interface CallInit {
  readonly origin: CallOrigin;
  /** The caller's number (the extension, or the caller ID a trunk presented). */
  readonly caller: string;
  /** The dialled number (Request-URI user). */
  readonly callee: string;
  readonly model: RoutingModel;
  readonly media: CallMediaBridge;
  /** Max-Forwards for the B-legs (the caller's, decremented). */
  readonly maxForwards: number;
}
