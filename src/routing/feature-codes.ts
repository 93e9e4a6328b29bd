/**
 * The feature dial codes a phone dials (configurable in `featureCodes`, defaults below) and what
 * a dialled number asks for:
 *
 *   *51, *51*      sign in to every queue the caller is an agent of;   *51*8000  to queue 8000
 *   *52, *52*      sign out of every queue;                             *52*8000  of queue 8000
 *   **101          answer the call ringing at extension 101 (directed pickup)
 *   ##101          take over the call extension 101 holds
 *   *70            park the call (a blind transfer to it) in the first free orbit; *70701 in orbit 701
 *   701            (an orbit number) retrieve the call parked there
 *   999            the caller's own voicemail box (PIN, listen, delete)
 *
 * Pure: the number and the model in, a FeatureRequest (or undefined: not a feature code) out.
 */
import type { FeatureCodes } from './feature-model.js';
import type { RoutingModel } from './model.js';

export const DEFAULT_FEATURE_CODES: Readonly<FeatureCodes> = { queueSignIn: '*51', queueSignOut: '*52', pickupRinging: '**', pickupHeld: '##', park: '*70', voicemailAccess: '999' };
export const FEATURE_CODE_NAMES: readonly (keyof FeatureCodes)[] = ['queueSignIn', 'queueSignOut', 'pickupRinging', 'pickupHeld', 'park', 'voicemailAccess'];

export type FeatureRequest =
  /** `queue` absent: every queue the caller is an agent of. */
  | { readonly kind: 'queue-sign'; readonly signedIn: boolean; readonly queue?: string }
  | { readonly kind: 'pickup'; readonly mode: 'ringing' | 'held'; readonly extension: string }
  /** `orbit` absent: the first free one. */
  | { readonly kind: 'park'; readonly orbit?: string }
  | { readonly kind: 'retrieve'; readonly orbit: string }
  /** The caller's own voicemail box. */
  | { readonly kind: 'voicemail-access' };

/** The model's codes: its own where it has them, the defaults for the rest. */
export function featureCodes(model: RoutingModel): Readonly<FeatureCodes> {
  return { ...DEFAULT_FEATURE_CODES, ...model.featureCodes };
}

const DIGITS = /^[0-9]{1,32}$/;

/** `*51`, `*51*` → all queues; `*51*8000` → queue 8000; anything else after the code: not this code. */
function queueSign(code: string, dialled: string, signedIn: boolean): FeatureRequest | undefined {
  if (!dialled.startsWith(code)) return undefined;
  const rest = dialled.slice(code.length);
  if (rest === '' || rest === '*') return { kind: 'queue-sign', signedIn };
  if (rest.startsWith('*') && DIGITS.test(rest.slice(1))) return { kind: 'queue-sign', signedIn, queue: rest.slice(1) };
  return undefined;
}

/** What `dialled` asks for, if it is a feature code or a parking orbit of `model`. */
export function featureRequest(model: RoutingModel, dialled: string): FeatureRequest | undefined {
  const codes = featureCodes(model);
  if (dialled === codes.voicemailAccess) return { kind: 'voicemail-access' };
  const signIn = queueSign(codes.queueSignIn, dialled, true) ?? queueSign(codes.queueSignOut, dialled, false);
  if (signIn !== undefined) return signIn;
  for (const [code, mode] of [[codes.pickupRinging, 'ringing'], [codes.pickupHeld, 'held']] as const) {
    const rest = dialled.slice(code.length);
    if (dialled.startsWith(code) && DIGITS.test(rest)) return { kind: 'pickup', mode, extension: rest };
  }
  const orbits = model.parking?.orbits ?? [];
  if (model.parking !== undefined && dialled.startsWith(codes.park)) {
    const rest = dialled.slice(codes.park.length);
    if (rest === '') return { kind: 'park' };
    if (orbits.includes(rest)) return { kind: 'park', orbit: rest };
  }
  if (orbits.includes(dialled)) return { kind: 'retrieve', orbit: dialled };
  return undefined;
}
