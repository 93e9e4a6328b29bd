/**
 * Voicemail in the B2BUA: which box a `voicemail:N` destination names (the extension N, else the
 * queue N), a message left on a call the agent answered (VoicemailDeposit on the call's
 * MediaTerminal: greeting, beep, record until `#`, hang-up or the maximum), and the MWI NOTIFY
 * (RFC 3842) every change of a box sends to the phones registered for it (connectMwi); the
 * access number (feature code, default 999) opens the caller's own box.
 */
import type { Clock } from '../core/index.js';
import type { MediaTerminal } from '../media/index.js';
import type { RoutingModel } from '../routing/index.js';
import type { SipEndpoint } from '../sip/index.js';
import { MwiNotifier, VoicemailAccessCall, VoicemailDeposit, connectMwi, type AccessPrompt, type BoxId, type DepositOptions, type DepositOutcome, type VoicemailStore } from '../voicemail/index.js';
import { fallbackPrompt, type PromptLibrary } from './prompt-library.js';
import type { PhoneLocator } from './types.js';

/** The box of `voicemail:N`: the extension's, else the queue's; undefined when the model has neither. */
export function boxFor(model: RoutingModel, number: string): BoxId | undefined {
  if (model.extensions.some((e) => e.number === number)) return { kind: 'extension', number };
  if (model.queues?.some((q) => q.number === number) === true) return { kind: 'queue', number };
  return undefined;
}

/** What a deposit needs from the call; the runner adds the greeting fallback and the limits. */
export type MessageOptions = Pick<DepositOptions, 'clock' | 'terminal' | 'store' | 'box' | 'status' | 'caller'>;

/** A deposit started on the terminal; `hungUp` keeps what was recorded when the caller leaves. */
export function leaveMessage(o: MessageOptions): VoicemailDeposit {
  // Without a recorded greeting the caller hears the short built-in tone, then the beep.
  const deposit = new VoicemailDeposit({ clock: o.clock, terminal: o.terminal, store: o.store, box: o.box, status: o.status, caller: o.caller, fallbackGreeting: fallbackPrompt() });
  void deposit.start().catch(() => deposit.hungUp());
  return deposit;
}

export type { DepositOutcome };

/**
 * Sends the counts of every box that changes to the phones registered for it (a queue box: its
 * agents') from the B2BUA's stack; returns the function that stops it.
 */
export function startMwi(o: { readonly store: VoicemailStore; readonly stack: SipEndpoint; readonly locator: PhoneLocator; readonly model: () => RoutingModel | undefined }): { readonly notifier: MwiNotifier; readonly stop: () => void } {
  const notifier = new MwiNotifier({
    domain: o.stack.hostPort('UDP'),
    contactsOf: (extension) => o.locator.contactsOf(extension).map((c) => ({
      contact: c.uri,
      target: { transport: c.target.transport === 'UDP' ? 'udp' : c.target.transport === 'TCP' ? 'tcp' : 'tls', host: c.target.host, port: c.target.port, ...(c.target.flowId === undefined ? {} : { flowId: c.target.flowId }) },
    })),
    queueMembers: (queue) => o.model()?.queues?.find((q) => q.number === queue)?.agents ?? [],
    newVia: (transport) => o.stack.newVia(transport === 'udp' ? 'UDP' : transport === 'tcp' ? 'TCP' : 'TLS'),
    request: (request, target) => o.stack.request(request, {
      transport: target.transport === 'udp' ? 'UDP' : target.transport === 'tcp' ? 'TCP' : 'TLS', host: target.host, port: target.port, ...(target.flowId === undefined ? {} : { flowId: target.flowId }),
    }),
  });
  return { notifier, stop: connectMwi(o.store, notifier) };
}

/** The prompt files of the access number: `vm-<prompt>` in the prompts folder (prompt-library.ts). */
export const ACCESS_PROMPTS: readonly AccessPrompt[] = ['enter-pin', 'wrong-pin', 'summary', 'menu', 'no-messages', 'message-deleted', 'no-more-messages', 'goodbye'];

/** The access number's prompts, loaded before the call is answered (a key pressed at once is not lost). */
export async function accessPrompts(prompts: PromptLibrary): Promise<Record<AccessPrompt, Int16Array>> {
  return Object.fromEntries(await Promise.all(ACCESS_PROMPTS.map(async (p) => [p, await prompts.load(`vm-${p}`)] as const))) as Record<AccessPrompt, Int16Array>;
}

/**
 * The access number's call on the caller's own box (VoicemailAccessCall: PIN, listen, 7 deletes);
 * `onHangup` ends the SIP call once the goodbye has played.
 */
export function openMailbox(o: { readonly clock: Clock; readonly terminal: MediaTerminal; readonly store: VoicemailStore; readonly box: BoxId; readonly prompts: Record<AccessPrompt, Int16Array>; readonly onHangup: () => void; readonly onError: (error: unknown) => void }): Promise<VoicemailAccessCall> {
  return VoicemailAccessCall.start({ clock: o.clock, terminal: o.terminal, store: o.store, box: o.box, prompts: o.prompts, onHangup: o.onHangup, onError: o.onError });
}
