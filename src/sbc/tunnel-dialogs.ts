/**
 * The calls a phone has up THROUGH THE TUNNEL, as the phone sees their dialogs (issue 12: "a call
 * whose far side is truly gone ends with a BYE to the phone after the resume window, not before").
 * While the tunnel session can be resumed the far side (hub, PBX) still holds the call, so the
 * dialogs are only kept; once that session is gone (the hub refused to resume it: the resume window
 * passed, or the hub restarted; or the window ran out while the path was still down) the agent
 * ends each one with a BYE to its phone, standing in for the far side (RFC 3261 §15.1.1), so no
 * phone keeps a silent call forever.
 */
import { silentLogger, type Clock, type Logger, type Timer } from '../core/index.js';
import { getHeader, parseCSeq, type SipEndpoint, type SipRequest, type TransportTarget } from '../sip/index.js';

/** One phone-side dialog: what a BYE from the far side needs (§12.2.1.1). */
export interface TunnelDialog {
  /** The phone's Call-ID. */
  readonly callId: string;
  /** The far party as the phone sees it (with its tag): the BYE's From. */
  readonly far: string;
  /** The phone's party (with the phone's tag): the BYE's To. */
  readonly phone: string;
  /** The phone's Contact: the BYE's Request-URI (the phone has no route set: the agent strips Record-Route toward it). */
  readonly phoneTarget: string;
  /** The phone's flow. */
  readonly target: TransportTarget;
  /** The far side's last CSeq toward the phone (0: none yet). */
  farCSeq: number;
  /** Told when the agent ends the dialog (media release). */
  readonly onEnded?: () => void;
}

/** RFC 3326: why the call ended, for the phone's display and its logs. */
export const FAR_SIDE_GONE_REASON = 'SIP;cause=480;text="Far side gone: tunnel session not resumed"';

export class TunnelDialogs {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stack: Pick<SipEndpoint, 'request' | 'newVia'>;
  readonly #dialogs = new Map<string, TunnelDialog>();
  #lostTimer: Timer | undefined;

  constructor(o: { readonly clock: Clock; readonly stack: Pick<SipEndpoint, 'request' | 'newVia'>; readonly logger?: Logger }) {
    this.#clock = o.clock;
    this.#stack = o.stack;
    this.#log = o.logger ?? silentLogger;
  }

  get size(): number {
    return this.#dialogs.size;
  }

  /** The phones' flows of the dialogs up. */
  targets(): TransportTarget[] {
    return [...this.#dialogs.values()].map((d) => d.target);
  }

  /** A 2xx to an INVITE reached the phone, or left it: the dialog is up. */
  add(dialog: TunnelDialog): void {
    this.#dialogs.set(dialog.callId, dialog);
  }

  /** A request from the far side inside the dialog (its CSeq is the one the BYE must exceed). */
  farRequest(request: SipRequest): void {
    const d = this.#dialogs.get(getHeader(request, 'Call-ID') ?? '');
    if (d === undefined) return;
    try {
      d.farCSeq = Math.max(d.farCSeq, parseCSeq(getHeader(request, 'CSeq') ?? '').seq);
    } catch {
      // A CSeq the stack let through but we cannot read: the next BYE simply counts from what we had.
    }
  }

  /** A BYE from either side passed: the dialog is over. */
  ended(callId: string): void {
    this.#dialogs.delete(callId);
  }

  /**
   * The tunnel path is lost: if it is not back within `windowMs` (the hub's resume window), the
   * session cannot be resumed and every dialog is ended then. back() cancels.
   */
  lost(windowMs: number): void {
    if (this.#lostTimer !== undefined || windowMs <= 0) return;
    this.#lostTimer = this.#clock.setTimeout(() => {
      this.#lostTimer = undefined;
      this.endAll('resume window passed with the tunnel down');
    }, windowMs);
  }

  /** The session is back (resumed or new): the window watch stops. */
  back(): void {
    this.#lostTimer?.cancel();
    this.#lostTimer = undefined;
  }

  /** Ends every dialog with a BYE to its phone (the far side's dialog is gone). */
  endAll(why: string): void {
    this.back();
    if (this.#dialogs.size === 0) return;
    this.#log.warn({ calls: this.#dialogs.size, why }, 'calls through the tunnel ended: their far side is gone');
    for (const d of [...this.#dialogs.values()]) {
      this.#dialogs.delete(d.callId);
      d.onEnded?.();
      void this.#stack.request(byeToPhone(d, this.#stack.newVia(d.target.transport)), d.target).catch((error: unknown) => this.#log.info({ err: error }, 'phone did not answer the BYE'));
    }
  }

  close(): void {
    this.back();
    this.#dialogs.clear();
  }
}

/** The BYE the far side would have sent (RFC 3261 §15.1.1, §12.2.1.1): its CSeq one above its last. */
export function byeToPhone(d: TunnelDialog, via: string): SipRequest {
  return {
    kind: 'request', version: 'SIP/2.0', method: 'BYE', uri: d.phoneTarget,
    headers: [
      { name: 'Via', value: via },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: d.far },
      { name: 'To', value: d.phone },
      { name: 'Call-ID', value: d.callId },
      { name: 'CSeq', value: `${d.farCSeq + 1} BYE` },
      { name: 'Reason', value: FAR_SIDE_GONE_REASON },
    ],
    body: Buffer.alloc(0),
  };
}
