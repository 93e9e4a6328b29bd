/**
 * The last message-summary (RFC 3842, MWI) the PBX sent for each mailbox, kept while the PBX is
 * reachable so that in survival (issue 12) the agent can answer a phone's MWI SUBSCRIBE with the
 * lamp state the phone last had, instead of an error that some phones show as "voicemail
 * unavailable" or a dark lamp. Keyed by the AOR's user part, as survival finds phones by it.
 * Bounded: the mailbox not updated for the longest is dropped first (docs/STYLE.md rule 3).
 */

/** A message-summary body as it came (RFC 3842 §5: application/simple-message-summary). */
export interface MessageSummary {
  readonly contentType: string;
  readonly body: Buffer;
}

export const MESSAGE_SUMMARY_CONTENT_TYPE = 'application/simple-message-summary';
/** Mailboxes remembered; far above a branch's phones. */
export const MAX_MAILBOXES = 10_000;
/** RFC 3842 bodies are a few lines; anything larger is not kept. */
export const MAX_SUMMARY_BYTES = 4096;

export class MessageSummaryMemory {
  readonly #byUser = new Map<string, MessageSummary>();
  readonly #max: number;

  constructor(max = MAX_MAILBOXES) {
    this.#max = max;
  }

  get size(): number {
    return this.#byUser.size;
  }

  /** A message-summary NOTIFY body for `user`'s mailbox; empty or oversized bodies are ignored. */
  remember(user: string, contentType: string | undefined, body: Buffer): void {
    if (user === '' || body.length === 0 || body.length > MAX_SUMMARY_BYTES) return;
    this.#byUser.delete(user);
    this.#byUser.set(user, { contentType: contentType ?? MESSAGE_SUMMARY_CONTENT_TYPE, body: Buffer.from(body) });
    if (this.#byUser.size > this.#max) {
      const oldest = this.#byUser.keys().next().value;
      if (oldest !== undefined) this.#byUser.delete(oldest);
    }
  }

  last(user: string): MessageSummary | undefined {
    return this.#byUser.get(user);
  }
}
