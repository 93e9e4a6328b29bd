/**
 * The B2BUA of the agent's routing core (issue 11 "Execution"): for each new INVITE the local call
 * path hands in, it asks `decide()` for a plan with the live state (statuses, registered phones,
 * busy extensions, the hunt counters it keeps) and runs it as a B2buaCall. In-dialog requests
 * and CANCELs of its calls come back through inDialog(); the rest (481 for unknown dialogs,
 * authentication, REGISTER) is the local call path's.
 *
 * Wiring (the agent's composition root):
 *
 *   const media = new UdpMediaAnchor({ clock, pool: new PortPool(range), address: lanAddress,
 *     bind: (port) => bindUdp({ address: lanAddress, port }) });
 *   const statuses = await FileStatusStore.open({ path, read: () => readFileIfExists(path),
 *     write: (text) => writeFileAtomic(path, text) });
 *   const b2bua = new B2bua({ stack, clock, locator: registrar, routing: () => routing.current(),
 *     statuses, agent: sbcName, pbxReachable: () => false, media, onCdr, onEvent, logger });
 *   // in the LAN stack's request handler, after authentication:
 *   //   INVITE without To tag → b2bua.invite(incoming, origin)
 *   //   anything else         → b2bua.inDialog(incoming) || answer 481 (never to an ACK)
 *   const trunks = new TrunkRegistrations({ stack, agent: sbcName });
 *   trunks.update(routing.current()); routing.on('changed', (model) => trunks.update(model));
 *   // stop: await b2bua.close(); await trunks.close(); before the stack closes.
 */
import { silentLogger, type Clock, type Logger } from '../core/index.js';
import { decide, planForDestination, type CallRequest, type CdrRecord, type Plan, type RoutingModel, type RoutingState } from '../routing/index.js';
import { buildResponse, getHeader, parseMaxForwards, topVia, type ServerRequest, type SipEndpoint, type SipRequest, type TransactionSource } from '../sip/index.js';
import { B2buaCall } from './call.js';
import type { B2buaCallSummary, B2buaEvent, CallHost, CallSide, ExtensionDialog } from './call-types.js';
import { tagOf, userOf } from './dialog.js';
import type { MediaAnchor } from './media-anchor.js';
import { QueueDesk } from './queue-desk.js';
import { ParkingDesk } from './parking-desk.js';
import { takeOver } from './pickup-runner.js';
import { FilePromptLibrary, type PromptLibrary } from './prompt-library.js';
import { startMwi } from './voicemail-runner.js';
import type { VoicemailStore } from '../voicemail/index.js';
import type { CallOrigin, PhoneLocator, StatusStore } from './types.js';

export interface B2buaOptions {
  readonly stack: SipEndpoint;
  /** Every timer of the calls (ring times, 2xx retransmission). */
  readonly clock: Clock;
  readonly locator: PhoneLocator;
  /** The current routing snapshot; undefined before the first one arrives (calls get 503). */
  readonly routing: () => RoutingModel | undefined;
  readonly statuses: StatusStore;
  /** This agent's SBC name (CallRequest.agent, CDR.agent). */
  readonly agent: string;
  /** False in survival and in the local mode of issue 11. */
  readonly pbxReachable: () => boolean;
  readonly media: MediaAnchor;
  /**
   * The voicemail boxes (`<state>/voicemail`): `voicemail:N` leaves a message there and every
   * change of a box sends MWI NOTIFYs to its phones. Absent: voicemail answers 480.
   */
  readonly voicemail?: VoicemailStore;
  /** IVR prompts (prompt-library.ts); absent: every prompt is a short built-in tone. */
  readonly prompts?: PromptLibrary;
  /**
   * The agent's music on hold (8 kHz PCM), for queue callers whose queue names no music of its
   * own (held and parked calls get it from the media anchor's own option).
   */
  readonly musicOnHold?: Int16Array;
  /** CDR.survival. */
  readonly survival?: () => boolean;
  /** Whether requests from `source` come from many phones (the hub's built-in PBX, src/hub-pbx.ts): a caller's own phone is then told by its extension, not by that flow. */
  readonly sharedFlow?: (source: TransactionSource) => boolean;
  readonly onCdr?: (cdr: CdrRecord) => void;
  readonly onEvent?: (event: B2buaEvent) => void;
  /** Some extension's part in a call may have changed (a fork started, an answer, an end): BLF looks again. */
  readonly onDialogsChanged?: () => void;
  readonly logger?: Logger;
}

/** The top Via's branch (the stack has validated Via before the TU sees a request). */
function branchOf(request: SipRequest): string | undefined {
  try {
    return topVia(request).params.get('branch');
  } catch {
    return undefined;
  }
}

/** RFC 3261 §8.1.1.6. */
const DEFAULT_MAX_FORWARDS = 70;
/** How long close() waits for the BYEs and CANCELs of the calls it ends. */
const SHUTDOWN_WAIT_MS = 2000;

export class B2bua {
  readonly #o: B2buaOptions;
  readonly #log: Logger;
  readonly #calls = new Set<B2buaCall>();
  /** `Call-ID|our tag` → the call and which of its dialogs. */
  readonly #dialogs = new Map<string, { readonly call: B2buaCall; readonly side: CallSide }>();
  /** Per ring group: the member rung last (cyclic hunt). */
  readonly #lastRung: Record<string, string> = {};
  /** Per ring group: answered calls per member (least-worked hunt). */
  readonly #answered: Record<string, Record<string, number>> = {};
  #closed: Promise<void> | undefined;
  readonly #queues: QueueDesk;
  readonly #parking: ParkingDesk;
  readonly #prompts: PromptLibrary;
  readonly #stopMwi: (() => void) | undefined;

  constructor(options: B2buaOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#prompts = options.prompts ?? new FilePromptLibrary(undefined, this.#log);
    const store = options.voicemail;
    this.#stopMwi = store === undefined ? undefined : startMwi({ store, stack: options.stack, locator: options.locator, model: options.routing }).stop;
    this.#queues = new QueueDesk(options.clock);
    this.#parking = new ParkingDesk(options.clock);
  }

  /** A new INVITE (no To tag) whose caller the local call path established. */
  invite(incoming: ServerRequest, origin: CallOrigin): void {
    const { request } = incoming;
    if (this.#closed !== undefined) {
      incoming.respond(buildResponse(request, 503));
      return;
    }
    // §16.6 step 3 (applied by a B2BUA too, against loops through other servers): 483 at zero.
    const maxForwards = parseMaxForwards(getHeader(request, 'Max-Forwards') ?? String(DEFAULT_MAX_FORWARDS)) ?? DEFAULT_MAX_FORWARDS;
    if (maxForwards <= 0) {
      incoming.respond(buildResponse(request, 483));
      return;
    }
    const model = this.#o.routing();
    if (model === undefined) {
      incoming.respond(buildResponse(request, 503, undefined, [{ name: 'Retry-After', value: '30' }]));
      return;
    }
    incoming.respond(buildResponse(request, 100));
    const caller = origin.kind === 'extension' ? origin.number : userOf(/<([^>]+)>/.exec(getHeader(request, 'From') ?? '')?.[1]) ?? 'anonymous';
    const callee = userOf(request.uri) ?? '';
    const callRequest: CallRequest = {
      caller, dialled: callee, origin: origin.kind === 'extension' ? 'internal' : 'external', agent: this.#o.agent, pbxReachable: this.#o.pbxReachable(),
    };
    let plan: Plan;
    try {
      plan = decide(callRequest, model, this.#state(), this.#o.clock.wallNow());
    } catch (error) {
      // decide() is total for a validated model (a property test says so); a bug must not hang the caller.
      this.#log.error({ err: error, caller, callee }, 'routing decision failed');
      incoming.respond(buildResponse(request, 500));
      return;
    }
    const callId = getHeader(request, 'Call-ID') ?? '';
    // The host's callbacks name the call, which needs the host to be built.
    const ref: { call?: B2buaCall } = {};
    const call = new B2buaCall(this.#host(() => ref.call), { origin, caller, callee, model, media: this.#o.media.open(callId), maxForwards: maxForwards - 1 }, incoming);
    ref.call = call;
    this.#calls.add(call);
    this.#log.info({ callId, caller, callee, plan: plan.kind }, 'b2bua call');
    this.#host(() => call).emit({ kind: 'started', callId, caller, callee, at: this.#o.clock.wallNow() });
    void call.run(plan);
  }

  /** In-dialog requests and CANCEL of a call of ours: true when handled. */
  inDialog(incoming: ServerRequest): boolean {
    const { request } = incoming;
    const callId = getHeader(request, 'Call-ID') ?? '';
    if (request.method === 'CANCEL') return this.#cancel(incoming, callId);
    const tag = tagOf(getHeader(request, 'To'));
    const found = tag === undefined ? undefined : this.#dialogs.get(`${callId}|${tag}`);
    if (found !== undefined) {
      found.call.inDialog(incoming, found.side);
      return true;
    }
    // The ACK for a final non-2xx is absorbed by the transaction layer; an ACK for the 2xx of a
    // call that just ended finds nothing here and needs no answer.
    return request.method === 'ACK' && [...this.#calls].some((c) => c.caller.callId === callId);
  }

  calls(): readonly B2buaCallSummary[] {
    return [...this.#calls].map((c) => c.summary());
  }

  /** Every extension's part in the calls up now (the BLF notifier's source). */
  extensionDialogs(): readonly ExtensionDialog[] {
    return [...this.#calls].flatMap((c) => c.extensionDialogs());
  }

  busyExtensions(): readonly string[] {
    return [...new Set([...this.#calls].flatMap((c) => c.busyExtensions()))];
  }

  /** Ends every call (BYE, or CANCEL and 503) with CDRs saying `shutdown`; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const ending = Promise.allSettled([...this.#calls].map((c) => c.shutdown()));
      await new Promise<void>((resolve) => {
        const timer = this.#o.clock.setTimeout(resolve, SHUTDOWN_WAIT_MS);
        void ending.then(() => {
          timer.cancel();
          resolve();
        });
      });
      this.#queues.close();
      this.#parking.close();
      this.#stopMwi?.();
    })();
    return this.#closed;
  }

  /** §9.2: CANCEL matches the INVITE by Call-ID and top Via branch; 200 to the CANCEL, 487 to the INVITE. */
  #cancel(incoming: ServerRequest, callId: string): boolean {
    const branch = branchOf(incoming.request);
    const call = [...this.#calls].find((c) => c.caller.callId === callId && branchOf(c.caller.invite.request) === branch);
    if (call === undefined) return false;
    incoming.respond(buildResponse(incoming.request, 200));
    call.cancelByCaller();
    return true;
  }

  #state(): RoutingState {
    return {
      statuses: this.#o.statuses.all(),
      registered: this.#o.locator.registered(),
      busy: this.busyExtensions(),
      lastRung: { ...this.#lastRung },
      answered: Object.fromEntries(Object.entries(this.#answered).map(([g, m]) => [g, { ...m }])),
    };
  }

  #dialogsChanged(): void {
    try {
      this.#o.onDialogsChanged?.();
    } catch (error) {
      this.#log.error({ err: error }, 'b2bua dialogs listener failed');
    }
  }

  #host(callOf: () => B2buaCall | undefined): CallHost {
    const o = this.#o;
    return {
      stack: o.stack, clock: o.clock, locator: o.locator, statuses: o.statuses, agent: o.agent,
      survival: o.survival?.() ?? false, logger: this.#log, ...(o.sharedFlow === undefined ? {} : { sharedFlow: o.sharedFlow }),
      emit: (event) => {
        try {
          o.onEvent?.(event);
        } catch (error) {
          this.#log.error({ err: error }, 'b2bua event listener failed');
        }
        this.#dialogsChanged();
      },
      dialogsChanged: () => this.#dialogsChanged(),
      bindDialog: (callId, localTag, side) => {
        const call = callOf();
        if (call !== undefined && call.state !== 'ended') this.#dialogs.set(`${callId}|${localTag}`, { call, side });
      },
      noteRung: (group, extension) => {
        this.#lastRung[group] = extension;
      },
      noteAnswered: (group, extension) => {
        const counts = (this.#answered[group] ??= {});
        counts[extension] = (counts[extension] ?? 0) + 1;
      },
      busy: () => this.busyExtensions(),
      queues: this.#queues,
      prompts: this.#prompts,
      musicOnHold: o.musicOnHold,
      voicemail: o.voicemail,
      parking: this.#parking,
      takeOver: (request, by, model) => takeOver({ calls: [...this.#calls], parking: this.#parking, model, request, by }),
      planFor: (init, destination) => {
        const request: CallRequest = { caller: init.caller, dialled: init.callee, origin: init.origin.kind === 'extension' ? 'internal' : 'external', agent: o.agent, pbxReachable: o.pbxReachable() };
        return planForDestination(request, init.model, this.#state(), o.clock.wallNow(), destination);
      },
      finished: (cdr) => {
        const call = callOf();
        if (call !== undefined) this.#forget(call);
        try {
          o.onCdr?.(cdr);
        } catch (error) {
          this.#log.error({ err: error }, 'b2bua CDR listener failed');
        }
      },
    };
  }

  #forget(call: B2buaCall): void {
    this.#calls.delete(call);
    for (const [key, entry] of this.#dialogs) if (entry.call === call) this.#dialogs.delete(key);
  }
}
