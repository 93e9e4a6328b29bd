/**
 * The dialog event package's body, application/dialog-info+xml (RFC 4235 §4): what the agent
 * tells watchers of an extension (BLF) about that extension's calls while it controls them itself
 * (survival, local mode). A pure encoder: a typed document in, the XML text out.
 */

/** RFC 4235 §4.1.2 / §3.7.1: the dialog FSM's states as they go on the wire. */
export type DialogInfoState = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';

/** RFC 4235 §4.1.2: why a dialog reached `terminated`. */
export type DialogTerminatedEvent = 'cancelled' | 'rejected' | 'replaced' | 'local-bye' | 'remote-bye' | 'error' | 'timeout';

export interface DialogInfoDialog {
  /** Unique among this entity's dialogs in the document (§4.1.2 "id"). */
  readonly id: string;
  readonly callId?: string;
  readonly localTag?: string;
  readonly remoteTag?: string;
  /** `initiator`: the entity placed the call; `recipient`: it was called (§4.1.2 "direction"). */
  readonly direction: 'initiator' | 'recipient';
  readonly state: DialogInfoState;
  readonly event?: DialogTerminatedEvent;
  /** The other party's URI (§4.1.6.1 "remote" → "identity"). */
  readonly remoteIdentity?: string;
}

export interface DialogInfoDocument {
  /** The watched resource's URI (§4.1.1 "entity"). */
  readonly entity: string;
  /** Starts at 0 for a subscription and grows by one with each NOTIFY (§4.1.1 "version"). */
  readonly version: number;
  /** `full`: every dialog of the entity; `partial`: only those that changed (§4.1.1 "state"). */
  readonly state: 'full' | 'partial';
  readonly dialogs: readonly DialogInfoDialog[];
}

export const DIALOG_INFO_CONTENT_TYPE = 'application/dialog-info+xml';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** XML 1.0 §2.4 and §3.3.3: markup characters in text and attribute values as entities. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function attributes(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  return pairs.filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`).join('');
}

function encodeDialog(d: DialogInfoDialog): string {
  const head = `  <dialog${attributes([['id', d.id], ['call-id', d.callId], ['local-tag', d.localTag], ['remote-tag', d.remoteTag], ['direction', d.direction]])}>`;
  const state = `    <state${attributes([['event', d.state === 'terminated' ? d.event : undefined]])}>${d.state}</state>`;
  const remote = d.remoteIdentity === undefined ? [] : ['    <remote>', `      <identity>${escapeXml(d.remoteIdentity)}</identity>`, '    </remote>'];
  return [head, state, ...remote, '  </dialog>'].join('\r\n');
}

/** The document as RFC 4235 §4.2's schema has it; a document without dialogs is an idle entity (§4.1). */
export function encodeDialogInfo(doc: DialogInfoDocument): string {
  const root = `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"${attributes([['version', doc.version], ['state', doc.state], ['entity', doc.entity]])}`;
  if (doc.dialogs.length === 0) return `<?xml version="1.0"?>\r\n${root}/>\r\n`;
  return [`<?xml version="1.0"?>`, `${root}>`, ...doc.dialogs.map(encodeDialog), '</dialog-info>', ''].join('\r\n');
}
