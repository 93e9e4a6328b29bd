/**
 * Destinations as written in the routing YAML: `extension:101`, `ring-group:800`, `queue:8000`,
 * `ivr:1`, `voicemail:101`, `external:0044...`, `end-call`. An extension, ring group, queue, IVR
 * or mailbox must exist in the model.
 *
 * Queues and IVRs were once only numbers "on the PBX"; they are now objects of the model
 * (`queues:`, `ivrs:`), and a `queue:N` or `ivr:N` naming none of them is refused with the field
 * named, rather than routed to a feature that does not exist. An older model that names one must
 * define it (or route elsewhere); a model that names none stays valid as it was.
 */
import { ConfigError } from '../core/index.js';
import type { IvrDestination } from './feature-model.js';
import type { Destination } from './model.js';
import { show } from './routing-fields.js';

/** What the rest of the model may refer to, collected before the references are checked. */
export interface ModelNames {
  readonly extensions: ReadonlySet<string>;
  readonly ringGroups: ReadonlySet<string>;
  readonly trunks: ReadonlySet<string>;
  /** Departments declared with office hours or named by an extension. */
  readonly departments: ReadonlySet<string>;
  readonly queues: ReadonlySet<string>;
  readonly ivrs: ReadonlySet<string>;
}

/** A dialled or caller number: digits, optionally after a `+`. */
export const PHONE_NUMBER = /^\+?[0-9]{1,32}$/;
const SHORT_NUMBER = /^[0-9]{1,32}$/;
const FORMS = "'extension:101', 'ring-group:800', 'queue:8000', 'ivr:1', 'voicemail:101', 'external:+33123456789' or 'end-call'";

export function parseDestination(value: unknown, path: string, names: ModelNames): Destination {
  if (typeof value !== 'string') throw new ConfigError(path, `must be a destination such as ${FORMS}, not ${show(value)}`);
  if (value === 'end-call') return { kind: 'end-call' };
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const number = value.slice(colon + 1);
  const bad = (why: string): never => {
    throw new ConfigError(path, `'${value}': ${why}`);
  };
  if (colon < 0) bad(`not a destination (${FORMS})`);
  switch (kind) {
    case 'extension':
      if (!names.extensions.has(number)) bad(`there is no extension ${number}`);
      return { kind, number };
    case 'ring-group':
      if (!names.ringGroups.has(number)) bad(`there is no ring group ${number}`);
      return { kind, number };
    case 'voicemail':
      if (!names.extensions.has(number) && !names.ringGroups.has(number) && !names.queues.has(number)) bad(`there is no extension, ring group or queue ${number} whose mailbox this could be`);
      return { kind, number };
    case 'queue':
      if (!SHORT_NUMBER.test(number)) bad('a queue is a number of digits');
      if (!names.queues.has(number)) bad(`there is no queue ${number} (define it under queues)`);
      return { kind, number };
    case 'ivr':
      if (!SHORT_NUMBER.test(number)) bad('an IVR is a number of digits');
      if (!names.ivrs.has(number)) bad(`there is no IVR ${number} (define it under ivrs)`);
      return { kind, number };
    case 'external':
      if (!PHONE_NUMBER.test(number)) bad('an external number is digits, optionally after a +');
      return { kind, number };
    default:
      return bad(`'${kind}' is not a kind of destination (${FORMS})`);
  }
}

/** An IVR's destination: a call destination, or `repeat` (play the menu again). */
export function parseIvrDestination(value: unknown, path: string, names: ModelNames): IvrDestination {
  return value === 'repeat' ? { kind: 'repeat' } : parseDestination(value, path, names);
}
