/**
 * The message-summary body of RFC 3842 §5.2 (Content-Type application/simple-message-summary),
 * what a NOTIFY with Event: message-summary carries to light a phone's message lamp:
 *
 *   Messages-Waiting: yes
 *   Message-Account: sip:201@branch.example
 *   Voice-Message: 2/8 (0/2)
 *
 * `Voice-Message: new/old (urgent new/urgent old)`. Encoding and decoding are pure and round-trip.
 */
import { VoicemailError } from './errors.js';

export const MESSAGE_SUMMARY_CONTENT_TYPE = 'application/simple-message-summary';
export const MESSAGE_SUMMARY_EVENT = 'message-summary';

export interface MessageSummary {
  readonly waiting: boolean;
  /** The account the counts belong to (RFC 3842 §5.2: optional). */
  readonly account: string | undefined;
  readonly voice: { readonly new: number; readonly old: number; readonly urgentNew: number; readonly urgentOld: number } | undefined;
}

/** The summary of a box: waiting when it has a new message. */
export function boxSummary(account: string | undefined, counts: { readonly new: number; readonly old: number }): MessageSummary {
  return { waiting: counts.new > 0, account, voice: { new: counts.new, old: counts.old, urgentNew: 0, urgentOld: 0 } };
}

export function encodeMessageSummary(s: MessageSummary): string {
  const lines = [`Messages-Waiting: ${s.waiting ? 'yes' : 'no'}`];
  if (s.account !== undefined) lines.push(`Message-Account: ${s.account}`);
  if (s.voice !== undefined) lines.push(`Voice-Message: ${s.voice.new}/${s.voice.old} (${s.voice.urgentNew}/${s.voice.urgentOld})`);
  return `${lines.join('\r\n')}\r\n`;
}

/** Reads a body (lenient: any case, LF or CRLF, other message classes ignored); a body without Messages-Waiting is a VoicemailError. */
export function decodeMessageSummary(body: string): MessageSummary {
  let waiting: boolean | undefined;
  let account: string | undefined;
  let voice: MessageSummary['voice'];
  for (const line of body.split(/\r?\n/)) {
    const m = /^([A-Za-z-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m === null) continue;
    const name = (m[1] ?? '').toLowerCase();
    const value = m[2] ?? '';
    if (name === 'messages-waiting') {
      if (!/^(yes|no)$/i.test(value)) throw new VoicemailError(`Messages-Waiting '${value}' is not yes or no`);
      waiting = value.toLowerCase() === 'yes';
    } else if (name === 'message-account') {
      account = value;
    } else if (name === 'voice-message') {
      const v = /^(\d+)\/(\d+)(?:\s*\((\d+)\/(\d+)\))?$/.exec(value);
      if (v === null) throw new VoicemailError(`Voice-Message '${value}' is not new/old (urgent/urgent)`);
      voice = { new: Number(v[1]), old: Number(v[2]), urgentNew: Number(v[3] ?? 0), urgentOld: Number(v[4] ?? 0) };
    }
  }
  if (waiting === undefined) throw new VoicemailError('message-summary body without Messages-Waiting (RFC 3842 §5.2)');
  return { waiting, account, voice };
}
