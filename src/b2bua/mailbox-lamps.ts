/**
 * The agent's own voicemail counts for the phones that SUBSCRIBE to their mailbox (RFC 3842
 * `message-summary`, served by dialog-watchers.ts). Without this, a subscribed phone only ever
 * got the last summary the PBX sent, so a message left on the agent (survival, local mode) lit
 * the lamps of the phones that take unsolicited NOTIFYs but not of those that subscribe.
 *
 * The counts of each extension's box are kept here, synchronously readable, from the store's
 * `changed` events; a box not seen yet is read once when a phone first asks (its NOTIFY then
 * follows if it holds messages, as after a restart). The agent's box wins while it holds
 * messages (the caller can listen to them on the access number now); an empty or unknown box
 * leaves the PBX's last summary, as before. A queue box lights its agents' lamps by the
 * unsolicited NOTIFYs of mwi-notifier.ts only: a subscription carries the extension's own box.
 */
import { MESSAGE_SUMMARY_CONTENT_TYPE, boxSummary, encodeMessageSummary, type VoicemailStore } from '../voicemail/index.js';

export interface MailboxSummary {
  readonly contentType: string;
  readonly body: Buffer;
}

export interface MailboxLampsOptions {
  readonly store: Pick<VoicemailStore, 'counts' | 'events'>;
  /** The accounts' domain (`Message-Account: sip:<ext>@<domain>`), as the unsolicited NOTIFYs say it. */
  readonly domain: string;
  /** The counts of `extension`'s box changed (or were first read and hold messages): notify its watchers. */
  readonly changed: (extension: string) => void;
}

export class MailboxLamps {
  readonly #o: MailboxLampsOptions;
  readonly #counts = new Map<string, { readonly new: number; readonly old: number }>();
  readonly #reading = new Set<string>();
  readonly #stop: () => void;
  #closed = false;

  constructor(o: MailboxLampsOptions) {
    this.#o = o;
    this.#stop = o.store.events.on('changed', (c) => {
      if (c.box.kind !== 'extension') return;
      this.#counts.set(c.box.number, { new: c.new, old: c.old });
      o.changed(c.box.number);
    });
  }

  /**
   * What a NOTIFY for `extension`'s mailbox carries: the agent's counts while its box holds
   * messages, else `pbx` (the PBX's last summary), else the agent's empty box once read.
   */
  summary(extension: string, pbx?: MailboxSummary): MailboxSummary | undefined {
    const counts = this.#counts.get(extension);
    if (counts === undefined) this.#read(extension);
    if (counts !== undefined && counts.new + counts.old > 0) return this.#body(extension, counts);
    if (pbx !== undefined) return pbx;
    return counts === undefined ? undefined : this.#body(extension, counts);
  }

  /** Stops following the store. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
  }

  #body(extension: string, counts: { readonly new: number; readonly old: number }): MailboxSummary {
    const account = `sip:${extension}@${this.#o.domain}`;
    return { contentType: MESSAGE_SUMMARY_CONTENT_TYPE, body: Buffer.from(encodeMessageSummary(boxSummary(account, counts))) };
  }

  /** Reads a box not seen yet; its watchers hear of it only when it holds messages. */
  #read(extension: string): void {
    if (this.#reading.has(extension) || this.#closed) return;
    this.#reading.add(extension);
    this.#o.store.counts({ kind: 'extension', number: extension }).then(
      (counts) => {
        this.#reading.delete(extension);
        // A change that came meanwhile is newer than what was read.
        if (this.#closed || this.#counts.has(extension)) return;
        this.#counts.set(extension, counts);
        if (counts.new + counts.old > 0) this.#o.changed(extension);
      },
      () => {
        // An unreadable box is the store's to report; the lamp stays with the PBX's summary.
        this.#reading.delete(extension);
      },
    );
  }
}
