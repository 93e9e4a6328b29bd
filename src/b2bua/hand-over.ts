/**
 * One party of a call given to another call: a parked party to the phone that dials its orbit
 * (park-runner.ts), a ringing call's caller to the phone that dials `**<ext>` (pickup-runner.ts).
 * The party's dialog stays ours; the taking call sends it a re-INVITE with its own caller's offer
 * (RFC 3261 §14: a re-INVITE changes the session of an existing dialog), so the party's media
 * moves to the taking call's relay and the two phones hear each other.
 */
import type { Dialog } from './dialog.js';

export interface HandOver {
  /** Our dialog with the party (UAS or UAC side: requests go the same way, §12.2.1.1). */
  readonly dialog: Dialog;
  /** The party's number (its extension or caller ID). */
  readonly party: string;
  /** The party's extension, if it is one of ours (it is then busy in the taking call). */
  readonly extension?: string;
  /**
   * The taking call has the party (true) or could not take it (false: a parked party goes back to
   * its orbit, a picked-up caller is hung up).
   */
  done(adopted: boolean): void;
}

export type TakeOver =
  | { readonly kind: 'hand-over'; readonly handOver: HandOver; readonly destination: string }
  /** Nothing to take: the final status, the CDR reason and the text of the Warning (RFC 3261 §20.43). */
  | { readonly kind: 'refuse'; readonly status: number; readonly reason: string; readonly warning: string };
