/**
 * A box's index (`index.json`), pure: its messages (new or old), its PIN (salted SHA-256, never
 * the digits) and which greetings it has. Read with every field checked, so a damaged file is a
 * VoicemailError naming the field rather than a box that behaves oddly.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VoicemailError } from './errors.js';

export type BoxKind = 'extension' | 'queue';

export interface BoxId {
  readonly kind: BoxKind;
  readonly number: string;
}

export interface VoicemailMessage {
  readonly id: string;
  /** The caller as the INVITE's From showed it (number or URI). */
  readonly caller: string;
  /** Wall-clock milliseconds. */
  readonly receivedAt: number;
  readonly seconds: number;
  readonly status: 'new' | 'old';
}

export interface BoxIndex {
  readonly version: 1;
  readonly messages: readonly VoicemailMessage[];
  /** `salt:sha256(salt || pin)` hex; absent: no PIN set, remote access refused. */
  readonly pin?: string;
}

export const EMPTY_INDEX: BoxIndex = { version: 1, messages: [] };

const NUMBER = /^[0-9*#+]{1,32}$/;

export function checkBoxId(box: BoxId): void {
  if (box.kind !== 'extension' && box.kind !== 'queue') throw new VoicemailError(`box kind '${String(box.kind)}'`);
  if (!NUMBER.test(box.number)) throw new VoicemailError(`box number '${box.number}' is not 1 to 32 dial characters`);
}

/** The box's folder name: `ext-201`, `queue-800` (dial characters only, so no path can escape). */
export function boxFolder(box: BoxId): string {
  checkBoxId(box);
  const safe = box.number.replace(/\*/g, 's').replace(/#/g, 'h').replace(/\+/g, 'p');
  return `${box.kind === 'extension' ? 'ext' : 'queue'}-${safe}`;
}

export function hashPin(pin: string, salt: Buffer = randomBytes(8)): string {
  if (!/^\d{3,12}$/.test(pin)) throw new VoicemailError('a PIN is 3 to 12 digits');
  return `${salt.toString('hex')}:${createHash('sha256').update(salt).update(pin).digest('hex')}`;
}

export function pinMatches(stored: string | undefined, pin: string): boolean {
  if (stored === undefined) return false;
  const [saltHex, digest] = stored.split(':');
  if (saltHex === undefined || digest === undefined) return false;
  const expected = Buffer.from(digest, 'hex');
  const actual = createHash('sha256').update(Buffer.from(saltHex, 'hex')).update(pin).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function counts(index: BoxIndex): { new: number; old: number } {
  const fresh = index.messages.filter((m) => m.status === 'new').length;
  return { new: fresh, old: index.messages.length - fresh };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseBoxIndex(text: string, where: string): BoxIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VoicemailError(`${where}: not JSON`);
  }
  if (!isRecord(raw) || raw['version'] !== 1 || !Array.isArray(raw['messages'])) throw new VoicemailError(`${where}: not a version 1 box index`);
  const messages = raw['messages'].map((m: unknown, i: number): VoicemailMessage => {
    const ok = isRecord(m) && typeof m['id'] === 'string' && /^[0-9a-z-]{1,64}$/.test(m['id']) && typeof m['caller'] === 'string' && typeof m['receivedAt'] === 'number' && typeof m['seconds'] === 'number' && (m['status'] === 'new' || m['status'] === 'old');
    if (!ok) throw new VoicemailError(`${where}: messages[${i}] is not a message`);
    return { id: m['id'] as string, caller: m['caller'] as string, receivedAt: m['receivedAt'] as number, seconds: m['seconds'] as number, status: m['status'] as 'new' | 'old' };
  });
  const pin = raw['pin'];
  if (pin !== undefined && typeof pin !== 'string') throw new VoicemailError(`${where}: pin is not a string`);
  return pin === undefined ? { version: 1, messages } : { version: 1, messages, pin };
}
