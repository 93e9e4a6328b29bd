/**
 * An extension's status at an instant: the manual one, switched by office hours when the
 * extension asks for it. Office hours switch only between Available and Away: outside hours
 * (closed, on a break, on a holiday) it is Away, inside them Available. Custom 1 and Custom 2 are
 * never switched (the PBX guides say so), and neither is Do Not Disturb: the user set it by hand
 * and expects it to hold until cleared, as a phone's DND key does.
 */
import type { Extension, ExtensionStatus, RoutingModel, Schedule } from './model.js';
import type { RoutingState } from './plan.js';
import { scheduleState } from './schedule.js';

/**
 * The dial codes that set the caller's status: 3CX's `*30` Available, `*31` Away, `*32` Do Not
 * Disturb, and `*33` Custom 1, `*34` Custom 2 unless the model's `dialCodes` says otherwise (any
 * of the five may be changed there).
 */
export const DEFAULT_DIAL_CODES: Readonly<Record<ExtensionStatus, string>> = { available: '*30', away: '*31', dnd: '*32', custom1: '*33', custom2: '*34' };

/** The default codes, code → status. */
export const STATUS_CODES: Readonly<Record<string, ExtensionStatus>> = codeTable(DEFAULT_DIAL_CODES);

function codeTable(codes: Readonly<Record<ExtensionStatus, string>>): Record<string, ExtensionStatus> {
  return Object.fromEntries(Object.entries(codes).map(([status, code]) => [code, status as ExtensionStatus]));
}

/** The model's dial codes (its own where it has them, the defaults for the rest). */
export function dialCodes(model: RoutingModel): Readonly<Record<ExtensionStatus, string>> {
  return { ...DEFAULT_DIAL_CODES, ...model.dialCodes };
}

/** The status a dialled number sets, if it is one of the model's dial codes. */
export function statusForCode(model: RoutingModel, dialled: string): ExtensionStatus | undefined {
  const table = model.dialCodes === undefined ? STATUS_CODES : codeTable(dialCodes(model));
  return Object.hasOwn(table, dialled) ? table[dialled] : undefined;
}

const KEPT: ReadonlySet<ExtensionStatus> = new Set(['dnd', 'custom1', 'custom2']);

/** The extension's own office hours, else its department's, else the global ones. */
export function extensionSchedule(model: RoutingModel, ext: Extension): Schedule {
  if (ext.schedule !== undefined) return ext.schedule;
  const dept = ext.department;
  if (dept !== undefined && Object.hasOwn(model.departments, dept)) return model.departments[dept] ?? model.schedule;
  return model.schedule;
}

/** The manual status the state holds; absent: Available. */
export function manualStatus(state: RoutingState, number: string): ExtensionStatus {
  return (Object.hasOwn(state.statuses, number) ? state.statuses[number] : undefined) ?? 'available';
}

/** The status that routes a call to `ext` at `now`. */
export function effectiveStatus(model: RoutingModel, state: RoutingState, ext: Extension, now: number): ExtensionStatus {
  const manual = manualStatus(state, ext.number);
  if (!ext.autoStatus || KEPT.has(manual)) return manual;
  return scheduleState(extensionSchedule(model, ext), now) === 'open' ? 'available' : 'away';
}
