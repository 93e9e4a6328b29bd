/**
 * Call parking inside one B2BUA call. A phone parks the party it talks to the way phones transfer:
 * a blind transfer (REFER, RFC 3515) to the park code (`*70`, `*70701` for orbit 701). The agent
 * accepts the REFER itself (202), puts the other party in an orbit (parking-desk.ts), plays it
 * music on hold out of its relay leg, tells the parker the transfer is done (a NOTIFY with the
 * sipfrag `SIP/2.0 200 Parked at 701`, §2.4.5) and ends the parker's dialog (its BYE, or ours
 * after PARKER_BYE_MS). Then one of:
 *   - a phone dials the orbit: the party is handed over (hand-over.ts) and this call ends;
 *   - the lot's time runs out: the parker's phones ring (a late-offer INVITE, RFC 3261 §13.2.1);
 *     the phone that answers gets the party (a re-INVITE moves the party's media to it) and this
 *     call carries on between the two; nobody answers: the party is hung up;
 *   - the parked party hangs up: its orbit is free and the call ends.
 */
import type { Timer } from '../core/index.js';
import { featureRequest, type CdrEndedBy, type RingStep } from '../routing/index.js';
import { buildResponse, getHeader, parseNameAddr, type ServerRequest, type SipHeader, type SipResponse } from '../sip/index.js';
import type { CallHost, CallInit, CallSide, ExtensionDialog } from './call-types.js';
import { CalleeLeg } from './callee-leg.js';
import { cseqNumber, isSdp, userOf, type Dialog } from './dialog.js';
import { Fork, type ForkTarget } from './fork.js';
import type { HandOver } from './hand-over.js';
import { relayInDialog } from './in-dialog-relay.js';
import type { ParkedParty } from './parking-desk.js';
import type { TwoXxRetransmission } from './two-xx.js';

/** How long the parker's phone has to hang up after our NOTIFY before we send the BYE ourselves. */
export const PARKER_BYE_MS = 2000;

const SDP: SipHeader = { name: 'Content-Type', value: 'application/sdp' };

/** What the call gives its park runner. */
export interface ParkCall {
  readonly host: CallHost;
  readonly init: CallInit;
  readonly callId: string;
  /** Our dialog with `side`, once answered. */
  dialog(side: CallSide): Dialog | undefined;
  /** The number of the party on `side`. */
  party(side: CallSide): string;
  /** The extension on `side`, if it is one of ours. */
  extension(side: CallSide): string | undefined;
  setDestination(destination: string): void;
  /** 2xx to relayed re-INVITEs awaiting their ACK (the call's map: its ACK handling stops them). */
  readonly pending2xx: Map<string, TwoXxRetransmission>;
  /** Ends the call's record; sends no BYE (each dialog is ended or handed over by the runner). */
  end(reason: string, endedBy: CdrEndedBy): void;
}

type Phase = 'idle' | 'parked' | 'handing-over' | 'returning' | 'returned' | 'over';

const other = (side: CallSide): CallSide => (side === 'caller' ? 'callee' : 'caller');

/** Why a park REFER is refused (RFC 3515 §2.4.2: any final response): status and Warning text. */
const REFUSALS = {
  'orbit-taken': [486, 'parking orbit taken'],
  'no-free-orbit': [486, 'every parking orbit is taken'],
  'not-an-orbit': [404, 'not a parking orbit'],
  'already-parked': [403, 'call already parked'],
} as const;

/** The user part of a Refer-To's URI (`<sip:*70701@host;user=phone?Replaces=...>` → `*70701`). */
export function referredNumber(referTo: string | undefined): string | undefined {
  if (referTo === undefined) return undefined;
  try {
    return userOf(parseNameAddr(referTo).uri.split('?')[0]);
  } catch {
    return undefined;
  }
}

export class ParkRunner implements ParkedParty {
  readonly #call: ParkCall;
  #phase: Phase = 'idle';
  #parkedSide: CallSide = 'caller';
  #parker = '';
  #orbit = '';
  #stopMusic: (() => void) | undefined;
  #parkerBye: Timer | undefined;
  /** The parker's dialog is still up (neither its BYE nor ours yet). */
  #parkerUp = false;
  #returnFork: Fork | undefined;
  /** The parker's phone that took the call back. */
  #returned: Dialog | undefined;

  constructor(call: ParkCall) {
    this.#call = call;
  }

  /** The parker's extension while the call waits in the lot: not busy in it (its BLF idle). */
  get parker(): string | undefined {
    return this.#phase === 'parked' || this.#phase === 'handing-over' || this.#phase === 'returning' ? this.#parker : undefined;
  }

  /** The orbit as a busy resource for its BLF watchers (RFC 4235 `confirmed`) while the call waits in it. */
  orbitDialog(): ExtensionDialog | undefined {
    if (this.#phase !== 'parked') return undefined;
    return { callId: this.#call.callId, extension: this.#orbit, direction: 'recipient', state: 'confirmed', peer: this.#call.party(this.#parkedSide) };
  }

  /** A REFER on `side`'s dialog to the park code: handled here (true), else relayed as any REFER. */
  refer(incoming: ServerRequest, side: CallSide): boolean {
    const { request } = incoming;
    if (this.#phase !== 'idle' || request.method !== 'REFER') return false;
    const dialled = referredNumber(getHeader(request, 'Refer-To'));
    const feature = dialled === undefined ? undefined : featureRequest(this.#call.init.model, dialled);
    if (feature?.kind !== 'park') return false;
    void this.#park(incoming, side, feature.orbit);
    return true;
  }

  /** An in-dialog request once the call is parked: true when handled here (always, after a park). */
  inDialog(incoming: ServerRequest, side: CallSide): boolean {
    if (this.#phase === 'idle') return false;
    const { request } = incoming;
    const returned = this.#returned;
    const fromReturned = returned !== undefined && getHeader(request, 'Call-ID') === returned.callId;
    if (!fromReturned && side !== this.#parkedSide) {
      // The parker's old dialog: only its BYE is expected.
      if (request.method === 'BYE') this.#parkerGone();
      incoming.respond(buildResponse(request, request.method === 'BYE' ? 200 : 481));
      return true;
    }
    const parked = this.#call.dialog(this.#parkedSide);
    if (request.method === 'BYE') {
      incoming.respond(buildResponse(request, 200));
      const peer = fromReturned ? parked : returned;
      this.#returned = undefined;
      if (peer !== undefined) void peer.request('BYE').catch(() => {});
      this.#finish('completed', fromReturned ? other(this.#parkedSide) : this.#parkedSide);
      return true;
    }
    if (this.#phase === 'returned' && returned !== undefined && parked !== undefined) {
      const { init, host } = this.#call;
      void relayInDialog(incoming, fromReturned ? other(this.#parkedSide) : this.#parkedSide, fromReturned ? parked : returned, {
        media: init.media, stack: host.stack, logger: host.logger, answered: () => this.#phase === 'returned', pending2xx: this.#call.pending2xx,
      });
      return true;
    }
    // Parked: nobody to relay a new offer to; the session stays as it is (RFC 3261 §14.2).
    const refused = request.method === 'INVITE' || request.method === 'UPDATE';
    incoming.respond(buildResponse(request, refused ? 488 : 200, undefined, refused ? [{ name: 'Warning', value: `399 ${this.#call.host.agent} "call parked"` }] : []));
    return true;
  }

  handOver(): HandOver | undefined {
    const dialog = this.#call.dialog(this.#parkedSide);
    if (this.#phase !== 'parked' || dialog === undefined) return undefined;
    this.#phase = 'handing-over';
    const extension = this.#call.extension(this.#parkedSide);
    return {
      dialog, party: this.#call.party(this.#parkedSide), ...(extension === undefined ? {} : { extension }),
      done: (adopted) => {
        if (this.#phase !== 'handing-over') return;
        if (adopted) {
          this.#finish('retrieved', 'system');
          return;
        }
        // The retrieving phone left, or the party refused its offer: back to the lot, music on.
        const { host, init, callId } = this.#call;
        const again = host.parking.park(init.model, callId, this, this.#parker, this.#call.party(this.#parkedSide), this.#orbit);
        if (again.ok) {
          this.#phase = 'parked';
          this.#orbit = again.orbit;
          this.#call.setDestination(`park:${again.orbit}`);
          host.dialogsChanged();
          return;
        }
        void dialog.request('BYE').catch(() => {});
        this.#finish('failed', 'system');
      },
    };
  }

  returnToParker(plan: RingStep): void {
    if (this.#phase !== 'parked') return;
    this.#phase = 'returning';
    this.#call.host.dialogsChanged();
    void this.#ringParker(plan);
  }

  /** The call ends (any reason): music off, orbit free, the parker's and the returned phone's dialogs ended. Idempotent. */
  close(): void {
    if (this.#phase === 'idle' || this.#phase === 'over') return;
    this.#phase = 'over';
    this.#stopMusic?.();
    this.#returnFork?.abort();
    this.#call.host.parking.left(this.#call.callId);
    if (this.#parkerUp) this.#byeParker();
    void this.#returned?.request('BYE').catch(() => {});
    this.#returned = undefined;
  }

  async #park(incoming: ServerRequest, side: CallSide, orbit: string | undefined): Promise<void> {
    const { host, init, callId } = this.#call;
    const { request } = incoming;
    const parkedSide = other(side);
    const parkerDialog = this.#call.dialog(side);
    if (parkerDialog === undefined || this.#call.dialog(parkedSide) === undefined) {
      incoming.respond(buildResponse(request, 403));
      return;
    }
    const parker = this.#call.extension(side) ?? this.#call.party(side);
    const result = host.parking.park(init.model, callId, this, parker, this.#call.party(parkedSide), orbit);
    if (!result.ok) {
      const [status, text] = REFUSALS[result.reason];
      incoming.respond(buildResponse(request, status, undefined, [{ name: 'Warning', value: `399 ${host.agent} "${text}"` }]));
      return;
    }
    this.#phase = 'parked';
    this.#parkedSide = parkedSide;
    this.#parker = parker;
    this.#orbit = result.orbit;
    incoming.respond(buildResponse(request, 202));
    this.#call.setDestination(`park:${result.orbit}`);
    host.logger.info({ callId, orbit: result.orbit, parker }, 'call parked');
    // RFC 3515 §2.4.4-2.4.5: the NOTIFY that ends the implicit subscription says how the "transfer" went.
    const notify: SipHeader[] = [
      { name: 'Event', value: 'refer' }, { name: 'Subscription-State', value: 'terminated;reason=noresource' },
      { name: 'Content-Type', value: 'message/sipfrag;version=2.0' },
    ];
    void parkerDialog.request('NOTIFY', notify, Buffer.from(`SIP/2.0 200 Parked at ${result.orbit}\r\n`)).catch(() => {});
    this.#parkerUp = true;
    this.#parkerBye = host.clock.setTimeout(() => this.#byeParker(), PARKER_BYE_MS);
    host.dialogsChanged();
    const stop = await init.media.parkMusic(parkedSide === 'caller' ? 'a' : 'b');
    if (this.#phase === 'parked') this.#stopMusic = stop;
    else if (this.#phase === 'over') stop();
  }

  async #ringParker(plan: RingStep): Promise<void> {
    const { host, callId } = this.#call;
    const stack = host.stack;
    const targets: ForkTarget[] = plan.extensions.flatMap((extension) => host.locator.contactsOf(extension).map((contact) => ({
      extension, destination: `extension:${extension}`,
      leg: new CalleeLeg({
        stack, target: contact.target, requestUri: contact.uri, offer: Buffer.alloc(0),
        to: `<sip:${extension}@${/@([^;>?]+)/.exec(contact.uri)?.[1] ?? contact.target.host}>`,
        from: `"${plan.callerId}" <sip:${plan.callerId}@${stack.hostPort(contact.target.transport)}>`,
      }),
    })));
    this.#call.setDestination(`park-return:${plan.extensions.join(',')}`);
    const fork = new Fork(host.clock, targets, plan.seconds);
    this.#returnFork = fork;
    const result = await fork.run();
    this.#returnFork = undefined;
    const parked = this.#call.dialog(this.#parkedSide);
    if (result.kind !== 'answered' || this.#phase !== 'returning' || parked === undefined) {
      if (result.kind === 'answered') void result.dialog.request('BYE').catch(() => {});
      if (this.#phase !== 'returning') return;
      host.logger.info({ callId, parker: this.#parker }, 'parked call not taken back');
      void parked?.request('BYE', [{ name: 'Reason', value: 'SIP;cause=480;text="Parked call not answered"' }]).catch(() => {});
      this.#finish('park-timeout', 'system');
      return;
    }
    const { leg } = result.target;
    if (!(await this.#join(parked, result.response, leg)) || this.#phase !== 'returning') {
      leg.ack();
      void result.dialog.request('BYE').catch(() => {});
      if (this.#phase !== 'returning') return;
      void parked.request('BYE').catch(() => {});
      this.#finish('failed', 'system');
      return;
    }
    this.#phase = 'returned';
    this.#returned = result.dialog;
    host.bindDialog(result.dialog.callId, leg.fromTag, other(this.#parkedSide));
    host.dialogsChanged();
  }

  /**
   * The parker's phone answered the late-offer INVITE with its offer: the parked party gets it in
   * a re-INVITE (anchored on the leg facing it), and its answer goes back in the ACK (§13.2.2.4).
   */
  async #join(parked: Dialog, answered: SipResponse, leg: CalleeLeg): Promise<boolean> {
    const media = this.#call.init.media;
    const parkedIsCaller = this.#parkedSide === 'caller';
    try {
      if (!isSdp(answered)) return false;
      const offer = parkedIsCaller ? await media.fromCallee(answered.body, leg.target.host) : await media.fromCaller(answered.body, leg.target.host);
      this.#stopMusic?.();
      this.#stopMusic = undefined;
      const response = await parked.request('INVITE', [SDP], offer);
      if (response.status < 200 || response.status >= 300) return false;
      void parked.ack(cseqNumber(response)).catch(() => {});
      if (!isSdp(response)) return false;
      const answer = parkedIsCaller ? await media.fromCaller(response.body, parked.target.host) : await media.fromCallee(response.body, parked.target.host);
      leg.ack(answer);
      return true;
    } catch (error) {
      this.#call.host.logger.debug({ err: error }, 'parked call not joined to its parker');
      return false;
    }
  }

  #parkerGone(): void {
    this.#parkerUp = false;
    this.#parkerBye?.cancel();
    this.#parkerBye = undefined;
  }

  #byeParker(): void {
    if (!this.#parkerUp) return;
    this.#parkerGone();
    void this.#call.dialog(other(this.#parkedSide))?.request('BYE').catch(() => {});
  }

  #finish(reason: string, endedBy: CallSide | 'system'): void {
    this.#call.end(reason, endedBy);
    this.close();
  }
}
