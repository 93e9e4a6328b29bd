/**
 * One call through the B2BUA: the caller's side (A), the plan `decide()` made for it, the B-legs
 * each step forks, and after the answer the bridge between the two dialogs. Steps run one after
 * the other along the plan's branches (onNoAnswer / onBusy / onFailure) until one is answered or a
 * leaf ends the call. The call writes exactly one CDR when it ends. IVR and voicemail steps are
 * answered by the agent itself (agent-media.ts); an IVR's choice becomes the next step. A REFER to
 * the park code parks the other party (park-runner.ts); pickup and park retrieval take a party
 * of another call over (pickup-runner.ts, hand-over.ts).
 *
 * Final statuses toward the caller, as the PBXs map them (documented choices):
 *   - every leg 486 or 600 → the plan's onBusy (486 `busy` at its end);
 *   - ring time out, or every leg failed otherwise → onNoAnswer (480 `no-answer` at its end);
 *   - a 6xx other than 600 (603 Decline) from any B-leg ends the whole fork and the call with it;
 *   - every trunk route failed → 404 when the last trunk said 404, 486 for busy, 503 for a 5xx
 *     or a timeout, else 480;
 *   - the caller's CANCEL → 487 to the caller, CANCEL on every B-leg.
 */
import { randomUUID } from 'node:crypto';
import { queueSignOutcome, reject, type CallQueue, type CdrDirection, type CdrEndedBy, type CdrRecord, type DialOutStep, type FeatureRequest, type Plan, type RingStep } from '../routing/index.js';
import { SdpParseError } from '../sdp/index.js';
import { buildResponse, type ServerRequest, type SipHeader, type SipResponse } from '../sip/index.js';
import { CalleeLeg } from './callee-leg.js';
import { CallerSide } from './caller-side.js';
import type { B2buaCallState, B2buaCallSummary, CallHost, CallInit, CallSide, ExtensionDialog } from './call-types.js';
import { Dialog, cseqNumber, isSdp } from './dialog.js';
import { COMPLETED_ELSEWHERE, Fork, type ForkResult, type ForkTarget } from './fork.js';
import type { HandOver, TakeOver } from './hand-over.js';
import { ParkRunner } from './park-runner.js';
import { PageRunner, autoAnswerHeaders, pageTargets } from './page-runner.js';
import { relayInDialog } from './in-dialog-relay.js';
import { QueueRing } from './queue-ring.js';
import { AgentMedia } from './agent-media.js';
import { TwoXxRetransmission } from './two-xx.js';
import { trunkFailureStatus } from './trunk-failure.js';

const SET_STATUS_HANGUP_MS = 1000;

export class B2buaCall {
  readonly id = randomUUID();
  readonly caller: CallerSide;
  readonly #host: CallHost;
  readonly #init: CallInit;
  readonly #startedAt: number;
  #state: B2buaCallState = 'routing';
  #fork: Fork | undefined;
  #offer: Promise<Buffer> | undefined;
  #direction: CdrDirection;
  #destination: string | undefined;
  #answeredAt: number | undefined;
  #callee: Dialog | undefined;
  #calleeLeg: CalleeLeg | undefined;
  #calleeExtension: string | undefined;
  #lastTrunkStatus: number | undefined;
  #busyFromLegs = false;
  #emergencyRaised = false;
  #queueRing: QueueRing | undefined;
  /** The queue whose agent took the call: told when it ends (talk time, wrap-up). */
  #queueAnswered: string | undefined;
  /** IVR and voicemail: the agent's own media end toward the caller. */
  readonly #agentMedia: AgentMedia;
  /** 2xx to relayed re-INVITEs awaiting their ACK, by `side|CSeq`. */
  readonly #reinviteAnswers = new Map<string, TwoXxRetransmission>();
  /** A REFER to the park code, and the call's life once parked. */
  readonly #park: ParkRunner;
  /** A page to a paging number's phones (page-runner.ts). */
  #page: PageRunner | undefined;

  constructor(host: CallHost, init: CallInit, invite: ServerRequest) {
    this.#host = host;
    this.#init = init;
    this.#startedAt = host.clock.wallNow();
    this.#direction = init.origin.kind === 'trunk' ? 'inbound' : 'internal';
    // §13.3.1.4: no ACK for 64·T1 after our 2xx: the session ends.
    this.caller = new CallerSide(host.stack, invite, () => void this.#hangUp('system', 'failed'));
    this.#agentMedia = new AgentMedia({
      host, init, callId: this.caller.callId,
      setDestination: (destination) => {
        this.#destination = destination;
      },
      over: () => this.#over(),
      anchorOffer: () => this.#calleeOffer(),
      answer: (sdp, calleeOffer) => this.#answeredByAgent(sdp, calleeOffer),
      refuse: (status, reason, headers) => this.#finishUnanswered(status, reason, 'system', headers),
      unavailable: (kind, what) => this.#unavailable(kind, what),
      hangUp: (reason) => void this.#hangUp('system', reason),
    });
    this.#park = new ParkRunner({
      host, init, callId: this.caller.callId, pending2xx: this.#reinviteAnswers,
      dialog: (side) => (side === 'caller' ? this.caller.dialog : this.#callee),
      party: (side) => (side === 'caller' ? init.caller : this.#calleeExtension ?? init.callee),
      extension: (side) => (side === 'caller' ? (init.origin.kind === 'extension' ? init.origin.number : undefined) : this.#calleeExtension),
      setDestination: (destination) => {
        this.#destination = destination;
      },
      end: (reason, endedBy) => this.#end(reason, endedBy),
    });
  }

  get state(): B2buaCallState {
    return this.#state;
  }

  /** The extensions this call keeps busy (RoutingState.busy). */
  busyExtensions(): string[] {
    if (this.#state === 'ended') return [];
    const out: string[] = [];
    if (this.#init.origin.kind === 'extension') out.push(this.#init.origin.number);
    if (this.#calleeExtension !== undefined) out.push(this.#calleeExtension);
    // The members listening to a page are on this call too.
    out.push(...(this.#page?.listening ?? []));
    return out.filter((e) => e !== this.#park.parker);
  }

  summary(): B2buaCallSummary {
    return {
      callId: this.caller.callId, caller: this.#init.caller, callee: this.#init.callee, state: this.#state,
      legs: this.#state === 'answered' ? 1 : this.#fork?.targets.filter((t) => t.leg.state === 'calling' || t.leg.state === 'proceeding').length ?? 0,
      destination: this.#destination, since: this.#startedAt,
    };
  }

  /** The extensions this call involves and how far each got (ExtensionDialog); none once ended. */
  extensionDialogs(): ExtensionDialog[] {
    if (this.#state === 'ended') return [];
    const callId = this.caller.callId;
    const out: ExtensionDialog[] = [];
    const answered = this.#state === 'answered';
    if (this.#init.origin.kind === 'extension') {
      const state = answered ? 'confirmed' : this.#state === 'ringing' ? 'early' : 'trying';
      out.push({ callId, extension: this.#init.origin.number, direction: 'initiator', state, peer: this.#init.callee });
    }
    if (answered && this.#calleeExtension !== undefined) {
      out.push({ callId, extension: this.#calleeExtension, direction: 'recipient', state: 'confirmed', peer: this.#init.caller });
    }
    if (!answered) {
      const ringing = this.#fork?.targets.filter((t) => t.extension !== undefined && (t.leg.state === 'calling' || t.leg.state === 'proceeding')) ?? [];
      for (const extension of new Set(ringing.map((t) => t.extension ?? ''))) out.push({ callId, extension, direction: 'recipient', state: 'early', peer: this.#init.caller });
    }
    const orbit = this.#park.orbitDialog();
    return [...out.filter((d) => d.extension !== this.#park.parker), ...(orbit === undefined ? [] : [orbit])];
  }

  /** Runs the plan to its end; never rejects. */
  async run(plan: Plan): Promise<void> {
    try {
      await this.#execute(plan);
    } catch (error) {
      // RFC 3261 §21.4.26: an offer we cannot read is "Not Acceptable Here".
      const status = error instanceof SdpParseError ? 488 : 500;
      this.#host.logger.warn({ err: error, callId: this.caller.callId }, 'b2bua call failed');
      this.#finishUnanswered(status, 'failed', 'system');
    }
  }

  async #execute(first: Plan): Promise<void> {
    let plan = first;
    for (;;) {
      if (this.#state === 'ended') return;
      // Leaving the IVR: the caller's relay leg goes back to the relay toward the next callee (a
      // queue keeps it for its intro and music, and gives it back when an agent answers).
      if (plan.kind !== 'ivr' && plan.kind !== 'voicemail' && plan.kind !== 'queue') this.#agentMedia.release();
      switch (plan.kind) {
        case 'ring': {
          const result = await this.#ring(plan);
          if (result === undefined) return;
          plan = result;
          continue;
        }
        case 'dial-out': {
          const next = await this.#dialOut(plan);
          if (next === undefined) return;
          plan = next;
          continue;
        }
        case 'reject': {
          if (plan.reason === 'no-route' && this.#lastTrunkStatus !== undefined) {
            this.#finishUnanswered(trunkFailureStatus(this.#lastTrunkStatus), 'failed', 'system');
          } else {
            const byCallee = this.#busyFromLegs && plan.reason === 'busy';
            this.#finishUnanswered(plan.status, plan.reason, byCallee ? 'callee' : 'system', [{ name: 'Reason', value: `SIP;cause=${plan.status};text="${plan.reason}"` }]);
          }
          return;
        }
        case 'set-status':
          await this.#setStatus(plan.extension, plan.status);
          return;
        case 'queue': {
          const number = plan.number;
          const queue = this.#init.model.queues?.find((q) => q.number === number);
          if (queue === undefined) {
            // A model built without queues (not from YAML, which refuses an undefined queue).
            this.#unavailable('queue', number);
            return;
          }
          const next = await this.#queue(queue);
          if (next === undefined) return;
          plan = next;
          continue;
        }
        case 'feature':
          if (plan.request.kind === 'queue-sign') {
            await this.#queueSign(plan.extension, plan.request);
            return;
          }
          if (plan.request.kind === 'voicemail-access') {
            await this.#agentMedia.voicemailAccess(plan.extension);
            return;
          }
          // Pickup, park retrieval (and `*70` dialled outside a call, refused there).
          await this.#takeOver(plan.extension, plan.request);
          return;
        case 'ivr': {
          const next = await this.#agentMedia.ivr(plan.number);
          if (next === undefined) return;
          plan = next;
          continue;
        }
        case 'voicemail':
          await this.#agentMedia.voicemail(plan.mailbox);
          return;
        case 'page': {
          const next = await this.#paging(plan.number);
          if (next === undefined) return;
          plan = next;
          continue;
        }
      }
    }
  }

  /** A feature this agent cannot run yet: 480 with a Warning naming it. */
  #unavailable(kind: string, what: string): void {
    this.#destination = `${kind}:${what}`;
    // Voicemail needs its boxes (B2buaOptions.voicemail).
    const warning = `399 ${this.#host.agent} "${kind} not available on this agent"`;
    this.#finishUnanswered(480, 'feature-unavailable', 'system', [{ name: 'Warning', value: warning }]);
  }

  /** Read after an await (TypeScript keeps a narrowing of #state across it). */
  #over(): boolean {
    return this.#state === 'ended';
  }

  /** The agent answers the caller itself (agent-media.ts): the call is answered. */
  #answeredByAgent(sdp: Buffer, calleeOffer: Buffer): void {
    // Callees reached from here on are offered only the format the caller was answered with.
    const offer = this.#init.media.fromCaller(calleeOffer, this.caller.invite.source.address);
    // Awaited only if a callee is rung; a failure then surfaces there, not as an unhandled rejection.
    offer.catch(() => {});
    this.#offer = offer;
    this.#state = 'answered';
    this.#answeredAt ??= this.#host.clock.wallNow();
    const dialog = this.caller.answer(sdp);
    this.#host.bindDialog(dialog.callId, this.caller.localTag, 'caller');
    this.#host.emit({ kind: 'answered', callId: this.caller.callId, caller: this.#init.caller, destination: this.#destination ?? '', at: this.#answeredAt });
  }

  /** The caller's offer, anchored for the B side once: every fork gets the same. */
  #calleeOffer(): Promise<Buffer> {
    const { request, source } = this.caller.invite;
    this.#offer ??= isSdp(request) ? this.#init.media.fromCaller(request.body, source.address) : Promise.resolve(Buffer.alloc(0));
    return this.#offer;
  }

  #legHeaders(): SipHeader[] {
    return [{ name: 'Max-Forwards', value: String(this.#init.maxForwards) }];
  }

  async #ring(step: RingStep, headers: SipHeader[] = []): Promise<Plan | undefined> {
    const offer = await this.#calleeOffer();
    if (this.#state === 'ended') return undefined;
    const targets: ForkTarget[] = [];
    let missing = 0;
    for (const extension of step.extensions) {
      if (step.group !== undefined) this.#host.noteRung(step.group, extension);
      const legs = this.#legsTo(extension, offer, step.callerId, headers);
      if (legs.length === 0) missing += 1;
      targets.push(...legs);
    }
    this.#destination = step.group !== undefined ? `ring-group:${step.group}` : `extension:${step.extensions[0] ?? ''}`;
    const result = await this.#runFork(new Fork(this.#host.clock, targets, step.seconds, missing));
    if (result.kind === 'answered') {
      if (step.group !== undefined && result.target.extension !== undefined) this.#host.noteAnswered(step.group, result.target.extension);
      return undefined;
    }
    if (result.kind !== 'unanswered') return undefined;
    this.#busyFromLegs = result.busy;
    return result.busy ? step.onBusy : step.onNoAnswer;
  }

  /** B-legs (not started) to every live contact of `extension`, never the caller's own phone (a group it belongs to, a forward back to it). */
  #legsTo(extension: string, offer: Buffer, callerId: string, extraHeaders: SipHeader[] = []): ForkTarget[] {
    const stack = this.#host.stack;
    const source = this.caller.invite.source;
    // Never ring the caller's own phone (a group it belongs to, a forward back to it). On a flow
    // many phones share (the hub's call path toward its built-in PBX) that phone is told by its
    // extension: the flow alone would leave nobody to ring.
    const shared = this.#host.sharedFlow?.(source) === true;
    const contacts = this.#host.locator.contactsOf(extension).filter((c) =>
      !(c.target.host === source.address && c.target.port === source.port && c.target.transport === source.transport && (!shared || c.extension === this.#init.caller)));
    return contacts.map((contact) => {
      const host = /@([^;>?]+)/.exec(contact.uri)?.[1] ?? contact.target.host;
      const leg = new CalleeLeg({
        stack, target: contact.target, requestUri: contact.uri, offer,
        to: `<sip:${extension}@${host}>`,
        from: `"${callerId}" <sip:${callerId}@${stack.hostPort(contact.target.transport)}>`,
        headers: [...this.#legHeaders(), ...extraHeaders],
        onProvisional: (r) => void this.#relayProvisional(r, contact.target.host),
      });
      return { leg, destination: `extension:${extension}`, extension };
    });
  }

  /** A queue step (queue-ring.ts): the agents its engine rings, until one answers or it sends the caller on. */
  async #queue(queue: CallQueue): Promise<Plan | undefined> {
    this.#destination = `queue:${queue.number}`;
    const offer = await this.#calleeOffer();
    if (this.#state === 'ended') return undefined;
    this.#state = 'ringing';
    let agentsOffer = offer;
    const ring = new QueueRing({
      desk: this.#host.queues, queue, callId: this.caller.callId,
      // An agent on another call is skipped like a busy one (the engine rings the next).
      legsFor: (agent) => (this.#host.busy().includes(agent) ? [] : this.#legsTo(agent, agentsOffer, this.#init.caller)),
      // Intro and music: the agent answers the caller (agent-media.ts), and the agents are then
      // offered only the format it was answered with; nothing to play: the caller hears ringing.
      onHold: async (hold) => {
        if (await this.#agentMedia.queueHold(hold)) agentsOffer = await this.#calleeOffer();
        else if (!this.#over()) this.caller.ringing();
      },
    });
    this.#queueRing = ring;
    const result = await ring.run();
    this.#queueRing = undefined;
    this.#agentMedia.endQueueHold();
    if (this.state === 'ended' || result.kind === 'aborted') return undefined;
    if (result.kind === 'answered') {
      this.#queueAnswered = queue.number;
      // The caller's relay leg goes back to the relay, now toward the agent who answered.
      this.#agentMedia.release();
      await this.#connect(result.target, result.response, result.dialog);
      return undefined;
    }
    this.#state = 'routing';
    return this.#host.planFor(this.#init, result.destination);
  }

  /**
   * A paging number (page-runner.ts): its enabled, free extensions (the caller's own left out)
   * called with auto-answer headers; page mode hears the caller one way, intercom is a ring step
   * to its one extension with the same headers and two-way audio.
   */
  async #paging(number: string): Promise<Plan | undefined> {
    const { model } = this.#init;
    const group = model.paging?.find((p) => p.number === number);
    if (group === undefined) {
      this.#unavailable('page', number);
      return undefined;
    }
    this.#destination = `page:${number}`;
    const targets = pageTargets(model, group, this.#init.origin.kind === 'extension' ? this.#init.origin.number : undefined, this.#host.busy());
    if (targets.length === 0) return reject('no-answer');
    const headers = autoAnswerHeaders(this.#host.stack.hostPort('UDP'), group.answerMode);
    if (group.mode === 'intercom') {
      return this.#ring({ kind: 'ring', extensions: targets, seconds: group.ringSeconds, callerId: this.#init.caller, onNoAnswer: reject('no-answer'), onBusy: reject('busy') }, headers);
    }
    this.#state = 'ringing';
    const page = new PageRunner({
      host: this.#host, init: this.#init, callId: this.caller.callId,
      over: () => this.#over(),
      anchorOffer: () => this.#calleeOffer(),
      legsTo: (extension, offer, extra) => this.#legsTo(extension, offer, this.#init.caller, extra),
      answer: (sdp, calleeOffer) => this.#answeredByAgent(sdp, calleeOffer),
      refuse: (status, reason, extra) => this.#finishUnanswered(status, reason, 'system', extra),
      hangUp: (reason) => void this.#hangUp('system', reason),
    });
    this.#page = page;
    await page.run(group, targets);
    return undefined;
  }

  async #dialOut(step: DialOutStep): Promise<Plan | undefined> {
    const stack = this.#host.stack;
    const trunk = this.#init.model.trunks.find((t) => t.name === step.trunk);
    if (this.#init.origin.kind === 'extension') this.#direction = step.emergency ? 'emergency' : 'outbound';
    this.#destination = `trunk:${step.trunk}/${step.number}`;
    // One event per call, however many emergency routes it tries.
    if (step.emergency && !this.#emergencyRaised) {
      this.#emergencyRaised = true;
      this.#host.emit({ kind: 'emergency', caller: this.#init.caller, number: step.number, trunk: step.trunk, at: this.#host.clock.wallNow() });
    }
    if (trunk === undefined) {
      this.#lastTrunkStatus = 503;
      return step.onFailure;
    }
    const offer = await this.#calleeOffer();
    if (this.#state === 'ended') return undefined;
    const hostPort = stack.hostPort('UDP');
    const identity = `<sip:${step.callerId}@${hostPort}>`;
    const leg = new CalleeLeg({
      stack, offer,
      target: { transport: 'UDP', host: trunk.host, port: trunk.port },
      requestUri: `sip:${step.number}@${trunk.host}:${trunk.port}`,
      to: `<sip:${step.number}@${trunk.host}>`,
      from: identity,
      // RFC 3325 §9.1: the identity we assert for the caller toward a trusted trunk.
      headers: [...this.#legHeaders(), { name: 'P-Asserted-Identity', value: identity }],
      ...(trunk.kind === 'register' ? { credentials: { username: trunk.username, ha1: trunk.ha1 } } : {}),
      onProvisional: (r) => void this.#relayProvisional(r, trunk.host),
    });
    const result = await this.#runFork(new Fork(this.#host.clock, [{ leg, destination: this.#destination }], null));
    if (result.kind !== 'unanswered') return undefined;
    this.#lastTrunkStatus = result.statuses[0] ?? 503;
    return step.onFailure;
  }

  /** Runs a fork; on answer or decline it finishes the call's routing. */
  async #runFork(fork: Fork): Promise<ForkResult> {
    this.#state = 'ringing';
    this.#fork = fork;
    const running = fork.run();
    // Its legs ring now: watchers of those extensions see early (RFC 4235) without waiting for a look.
    this.#host.dialogsChanged();
    const result = await running;
    this.#fork = undefined;
    if (this.state === 'ended') return { kind: 'aborted' };
    if (result.kind === 'answered') await this.#connect(result.target, result.response, result.dialog);
    else if (result.kind === 'declined') this.#finishUnanswered(result.status, 'declined', 'callee');
    // Aborted by a pickup (surrender()): the call is answered by the agent meanwhile.
    else if (result.kind === 'unanswered') this.#state = 'routing';
    return result;
  }

  async #relayProvisional(response: SipResponse, signalingAddress: string): Promise<void> {
    if (isSdp(response)) {
      let sdp: Buffer;
      try {
        sdp = await this.#init.media.fromCallee(response.body, signalingAddress);
      } catch (error) {
        // Early media we cannot anchor: the caller still hears that it rings.
        this.#host.logger.debug({ err: error }, 'early media not relayed');
        this.caller.ringing();
        return;
      }
      if (this.#state === 'ringing') this.caller.progress(sdp);
    } else if (response.status === 180 || response.status === 183) {
      this.caller.ringing();
    }
  }

  /** The callee's dialog is up (a fork's 2xx, or a party taken over by re-INVITE): the caller gets its answer. */
  async #connect(target: { readonly destination: string; readonly extension?: string | undefined; readonly leg?: CalleeLeg }, response: SipResponse, dialog: Dialog): Promise<void> {
    let answer: Buffer;
    try {
      answer = isSdp(response) ? await this.#init.media.fromCallee(response.body, dialog.target.host) : Buffer.alloc(0);
    } catch (error) {
      // The callee's answer cannot be anchored: end its session, and the caller gets a 500.
      this.#host.logger.warn({ err: error, callId: this.caller.callId }, 'answer not anchored');
      void dialog.request('BYE').catch(() => {});
      this.#finishUnanswered(500, 'failed', 'system');
      return;
    }
    if (this.#state === 'ended') {
      void dialog.request('BYE').catch(() => {});
      return;
    }
    this.#state = 'answered';
    this.#answeredAt = this.#host.clock.wallNow();
    this.#destination = target.destination;
    this.#calleeExtension = target.extension;
    this.#callee = dialog;
    this.#calleeLeg = target.leg;
    // A caller the agent answered already (an IVR) keeps its dialog and SDP: the relay leg it
    // sends to is the same, now joined to the callee's.
    if (this.caller.dialog === undefined) {
      const callerDialog = this.caller.answer(answer);
      this.#host.bindDialog(callerDialog.callId, this.caller.localTag, 'caller');
    }
    this.#host.bindDialog(dialog.callId, dialog.localTag ?? '', 'callee');
    this.#host.emit({ kind: 'answered', callId: this.caller.callId, caller: this.#init.caller, destination: target.destination, at: this.#answeredAt });
  }

  /**
   * `**ext` or a parking orbit (pickup-runner.ts): the party another call gives up gets this
   * caller's offer in a re-INVITE, and its answer answers this caller (RFC 3261 §14).
   */
  async #takeOver(extension: string, request: FeatureRequest): Promise<void> {
    // The party's answer must go into this caller's 200: a late offer (no SDP) would need it in the ACK.
    const taken: TakeOver = isSdp(this.caller.invite.request)
      ? await this.#host.takeOver(request, extension, this.#init.model)
      : { kind: 'refuse', status: 488, reason: 'not-acceptable', warning: 'an INVITE with an SDP offer is needed here' };
    if (taken.kind === 'refuse') {
      this.#destination = `feature:${request.kind}`;
      this.#finishUnanswered(taken.status, taken.reason, 'system', [{ name: 'Warning', value: `399 ${this.#host.agent} "${taken.warning}"` }]);
      return;
    }
    const { handOver, destination } = taken;
    const dialog = handOver.dialog;
    this.#destination = destination;
    let response: SipResponse | undefined;
    try {
      const offer = await this.#calleeOffer();
      const headers: SipHeader[] = offer.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : [];
      if (this.#state !== 'ended') response = await dialog.request('INVITE', headers, offer);
    } catch (error) {
      this.#host.logger.info({ err: error, callId: this.caller.callId }, 'party not taken over');
    }
    if (response !== undefined && response.status >= 200 && response.status < 300) void dialog.ack(cseqNumber(response)).catch(() => {});
    else response = undefined;
    if (response === undefined || this.#state === 'ended') {
      handOver.done(false);
      this.#finishUnanswered(480, 'failed', 'system');
      return;
    }
    await this.#connect({ destination, extension: handOver.extension }, response, dialog);
    handOver.done(this.#callee === dialog && this.#state === 'answered');
  }

  /**
   * Another phone dialled `**<ext>` for this ringing call (pickup-runner.ts): the fork stops, the
   * agent answers the caller itself and, once its ACK is in, gives the caller's dialog up.
   * Undefined when the call no longer rings, or its caller made no offer to answer.
   */
  async surrender(picker: string): Promise<HandOver | undefined> {
    const fork = this.#fork;
    if (this.#state !== 'ringing' || fork === undefined || !isSdp(this.caller.invite.request)) return undefined;
    fork.abort(COMPLETED_ELSEWHERE);
    this.#destination = `pickup:${picker}`;
    const answer = await this.#init.media.localAnswer();
    if (this.#over()) return undefined;
    this.#state = 'answered';
    this.#answeredAt = this.#host.clock.wallNow();
    const dialog = this.caller.answer(answer);
    this.#host.bindDialog(dialog.callId, this.caller.localTag, 'caller');
    if (!(await this.caller.confirmed()) || this.#over()) return undefined;
    const origin = this.#init.origin;
    return {
      dialog, party: this.#init.caller, ...(origin.kind === 'extension' ? { extension: origin.number } : {}),
      done: (adopted) => (adopted ? this.#end('picked-up', 'system') : void this.#hangUp('system', 'failed')),
    };
  }

  async #setStatus(extension: string, status: Parameters<CallHost['statuses']['set']>[1]): Promise<void> {
    this.#host.statuses.set(extension, status);
    await this.#confirm(`status:${status}`);
  }

  /** `*51` / `*52` (pickup.ts queueSignOutcome): the agent's queues, then a confirmation. */
  async #queueSign(extension: string, request: Extract<FeatureRequest, { kind: 'queue-sign' }>): Promise<void> {
    const outcome = queueSignOutcome(this.#init.model, request, extension);
    if (outcome.kind !== 'queue-sign') {
      this.#destination = `feature:${request.kind}`;
      if (outcome.kind === 'refuse') this.#finishUnanswered(outcome.status, outcome.reason, 'system');
      return;
    }
    for (const number of outcome.queues) {
      const queue = this.#init.model.queues?.find((q) => q.number === number);
      if (queue === undefined) continue;
      const engine = this.#host.queues.engineFor(queue);
      if (outcome.signedIn) engine.signIn(extension);
      else engine.signOut(extension);
    }
    await this.#confirm(`${outcome.signedIn ? 'queue-sign-in' : 'queue-sign-out'}:${outcome.queues.join(',')}`);
  }

  /** A dial code done: answer, and hang up after a moment. */
  async #confirm(destination: string): Promise<void> {
    this.#destination = destination;
    // The caller hears the confirmation prompt (agent-media.ts) when it offered G.711, else a silent answer.
    if (!(await this.#agentMedia.confirm())) {
      await this.#calleeOffer();
      const answer = await this.#init.media.localAnswer();
      if (this.#over()) return;
      this.#state = 'answered';
      this.#answeredAt = this.#host.clock.wallNow();
      const dialog = this.caller.answer(answer);
      this.#host.bindDialog(dialog.callId, this.caller.localTag, 'caller');
    }
    if (this.#over()) return;
    this.#host.clock.setTimeout(() => this.#hangUp('system', 'completed'), SET_STATUS_HANGUP_MS);
  }

  /** An in-dialog request for this call; CANCEL of the INVITE is handled by cancelByCaller. */
  inDialog(incoming: ServerRequest, side: CallSide): void {
    const { request } = incoming;
    if (request.method === 'ACK') {
      if (side === 'caller' && cseqNumber(request) === cseqNumber(this.caller.invite.request)) {
        this.caller.acked();
        void this.#lateAnswer(request.body, isSdp(request), incoming.source.address);
      }
      const key = `${side}|${cseqNumber(request)}`;
      this.#reinviteAnswers.get(key)?.stop();
      this.#reinviteAnswers.delete(key);
      return;
    }
    if (this.#park.refer(incoming, side) || this.#park.inDialog(incoming, side)) return;
    if (side === 'callee' && this.#page?.inDialog(incoming) === true) return;
    if (request.method === 'BYE') {
      incoming.respond(buildResponse(request, 200));
      this.#hangUp(side, 'completed', side);
      return;
    }
    if (request.method === 'INFO' && side === 'caller' && this.#agentMedia.info(incoming)) return;
    const other = side === 'caller' ? this.#callee : this.caller.dialog;
    if (other === undefined || this.#state !== 'answered') {
      incoming.respond(buildResponse(request, 481));
      return;
    }
    void relayInDialog(incoming, side, other, {
      media: this.#init.media, stack: this.#host.stack, logger: this.#host.logger,
      answered: () => this.#state === 'answered', pending2xx: this.#reinviteAnswers,
    });
  }

  /** Late offer: the caller's ACK holds the answer to the callee's offer; the callee's ACK carries it. */
  async #lateAnswer(body: Buffer, sdp: boolean, signalingAddress: string): Promise<void> {
    const leg = this.#calleeLeg;
    if (leg === undefined) return;
    let answer: Buffer = Buffer.alloc(0);
    try {
      if (sdp) answer = await this.#init.media.fromCaller(body, signalingAddress);
    } catch (error) {
      this.#host.logger.debug({ err: error }, 'late answer not relayed');
    }
    leg.ack(answer);
  }



  /** The caller sent CANCEL for its INVITE: 487 to it, CANCEL to every B-leg (§9.2). */
  cancelByCaller(): void {
    if (this.#state !== 'routing' && this.#state !== 'ringing') return;
    this.#fork?.abort();
    this.#queueRing?.abort();
    this.#finishUnanswered(487, 'cancelled', 'caller');
  }

  /** The agent stops: BYE or CANCEL/503 and a CDR with `shutdown`. */
  shutdown(): Promise<void> {
    if (this.#state === 'ended') return Promise.resolve();
    if (this.#state === 'answered') return this.#hangUp('system', 'shutdown');
    this.#fork?.abort();
    this.#queueRing?.abort();
    this.#finishUnanswered(503, 'shutdown', 'system');
    return Promise.resolve();
  }

  /** Ends an answered call: BYE to each side but `from` (which sent its own BYE). */
  #hangUp(endedBy: CdrEndedBy, reason: string, from?: CallSide): Promise<void> {
    if (this.#state === 'ended') return Promise.resolve();
    const byes: Promise<unknown>[] = [];
    this.#calleeLeg?.ack();
    if (from !== 'caller' && this.caller.dialog !== undefined) byes.push(this.caller.dialog.request('BYE'));
    if (from !== 'callee' && this.#callee !== undefined) byes.push(this.#callee.request('BYE'));
    this.#end(reason, endedBy);
    return Promise.allSettled(byes).then(() => {});
  }

  #finishUnanswered(status: number, reason: string, endedBy: CdrEndedBy, headers: SipHeader[] = []): void {
    if (this.#state === 'ended') return;
    // Answered by the agent (an IVR) and then not connected: the caller gets a BYE.
    if (this.#state === 'answered' || this.caller.dialog !== undefined) {
      void this.#hangUp(endedBy, reason);
      return;
    }
    this.caller.reject(status, headers);
    this.#end(reason, endedBy, status);
  }

  #end(endedReason: string, endedBy: CdrEndedBy, status?: number): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    // A queue caller the agent answered hung up (BYE) while agents rang: they are cancelled.
    this.#queueRing?.abort();
    this.#page?.close();
    this.#park.close();
    this.#agentMedia.release();
    if (this.#queueAnswered !== undefined) this.#host.queues.ended(this.#queueAnswered, this.caller.callId);
    this.caller.close();
    for (const answer of this.#reinviteAnswers.values()) answer.stop();
    this.#reinviteAnswers.clear();
    this.#init.media.close();
    const endedAt = this.#host.clock.wallNow();
    const answeredAt = this.#answeredAt;
    const cdr: CdrRecord = {
      id: randomUUID(), callId: this.caller.callId, caller: this.#init.caller, callee: this.#init.callee, direction: this.#direction,
      startedAt: this.#startedAt, ...(answeredAt === undefined ? {} : { answeredAt }), endedAt,
      talkSeconds: answeredAt === undefined ? 0 : Math.floor((endedAt - answeredAt) / 1000),
      endedReason, endedBy, ...(status === undefined ? {} : { status }),
      finalDestination: this.#destination ?? `number:${this.#init.callee}`,
      agent: this.#host.agent, survival: this.#host.survival,
    };
    this.#host.emit({ kind: 'ended', callId: cdr.callId, endedReason, at: endedAt });
    this.#host.finished(cdr);
  }
}
