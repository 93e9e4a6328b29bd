/**
 * What a B2BUA call needs from the B2BUA around it, and what it reports: kept apart from
 * call.ts so the call's logic reads without the plumbing.
 */
import type { Clock, Logger } from '../core/index.js';
import type { CdrRecord, Destination, FeatureRequest, Plan, RoutingModel } from '../routing/index.js';
import type { SipEndpoint, TransactionSource } from '../sip/index.js';
import type { CallMediaBridge } from './media-anchor.js';
import type { PromptLibrary } from './prompt-library.js';
import type { VoicemailStore } from '../voicemail/index.js';
import type { QueueDesk } from './queue-desk.js';
import type { TakeOver } from './hand-over.js';
import type { ParkingDesk } from './parking-desk.js';
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

/**
 * One extension's part in a call, for its watchers (BLF, RFC 4235): the caller's extension is the
 * initiator (`trying` while routed, `early` while it rings somewhere, `confirmed` once answered),
 * each extension rung is a recipient (`early`), the one that answered stays (`confirmed`).
 */
export interface ExtensionDialog {
  readonly callId: string;
  readonly extension: string;
  readonly direction: 'initiator' | 'recipient';
  readonly state: 'trying' | 'early' | 'confirmed';
  /** The other party's number. */
  readonly peer: string;
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
  /** An extension's part in the call changed without an event (a fork started ringing): BLF looks again. */
  readonly dialogsChanged: () => void;
  /** A dialog of the call is up: in-dialog requests with this Call-ID and our tag reach it. */
  readonly bindDialog: (callId: string, localTag: string, side: CallSide) => void;
  readonly noteRung: (group: string, extension: string) => void;
  readonly noteAnswered: (group: string, extension: string) => void;
  readonly finished: (cdr: CdrRecord) => void;
  /** Extensions in a call now (RoutingState.busy): queue agents on a call are not rung. */
  readonly busy: () => readonly string[];
  /** The call queues' engines (queue-desk.ts). */
  readonly queues: QueueDesk;
  /** The voicemail boxes (voicemail-runner.ts); absent: voicemail answers 480 feature-unavailable. */
  readonly voicemail: VoicemailStore | undefined;
  /** The WAV prompts of IVR menus (prompt-library.ts). */
  readonly prompts: PromptLibrary;
  /** The agent's music on hold (`agent.media.musicOnHold`): queue callers whose queue names none hear it. */
  readonly musicOnHold: Int16Array | undefined;
  /** The plan for a destination a feature sends the call to (a queue's no-answer, overflow). */
  readonly planFor: (init: CallInit, destination: Destination) => Plan;
  /** The parking orbits (parking-desk.ts). */
  readonly parking: ParkingDesk;
  /** Pickup or park retrieval dialled by extension `by`: the party to connect to it, or why not (pickup-runner.ts). */
  readonly takeOver: (request: FeatureRequest, by: string, model: RoutingModel) => Promise<TakeOver>;
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
