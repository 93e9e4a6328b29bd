/**
 * The number patterns of the routing model, as the PBX guides define them:
 *
 *   wildcard     blacklist entries and forwarding exceptions: `*` stands for any run of
 *                characters (also none), every other character for itself.
 *   caller mask  inbound rules: `*` stands for exactly one digit, so a mask matches numbers of its
 *                own length only; `A-B` (A and B digits of equal length) a number of that length
 *                between them, both ends included.
 *   number list  outbound rules' calling extensions: a number, or a range `100-120`
 *                (compared as integers, both ends included).
 *   prefixes     outbound rules: the dialled number starts with one of them; an empty list
 *                matches every number.
 */

const DIGITS = /^[0-9]+$/;

/** `value` matches `pattern`, where `*` is any run of characters. */
export function matchWildcard(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return value === first;
  const last = parts[parts.length - 1] ?? '';
  if (!value.startsWith(first) || value.length < first.length + last.length) return false;
  if (!value.endsWith(last)) return false;
  // Middle parts are found left to right, greedy-free: the earliest place each one fits
  // leaves the most room for the rest.
  let at = first.length;
  const end = value.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** Parses `A-B` with A and B digit strings; undefined for anything else. */
function parseRange(text: string): { readonly low: string; readonly high: string } | undefined {
  const dash = text.indexOf('-');
  if (dash <= 0) return undefined;
  const low = text.slice(0, dash);
  const high = text.slice(dash + 1);
  if (!DIGITS.test(low) || !DIGITS.test(high)) return undefined;
  return { low, high };
}

/** `caller` matches one inbound caller mask (`*` one digit, or a range `A-B` of equal length). */
export function matchCallerMask(mask: string, caller: string): boolean {
  const range = parseRange(mask);
  if (range !== undefined) {
    // Equal lengths and digits only: comparing the strings compares the numbers.
    if (range.low.length !== range.high.length || caller.length !== range.low.length || !DIGITS.test(caller)) return false;
    return caller >= range.low && caller <= range.high;
  }
  if (mask.length !== caller.length) return false;
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    const c = caller[i] ?? '';
    if (m === '*' ? !(c >= '0' && c <= '9') : m !== c) return false;
  }
  return true;
}

/** An empty list of masks admits every caller; otherwise one of them must match. */
export function matchCallerMasks(masks: readonly string[], caller: string): boolean {
  return masks.length === 0 || masks.some((m) => matchCallerMask(m, caller));
}

/** `number` is in a list of numbers and ranges `100-120`; an empty list holds every number. */
export function inNumberList(list: readonly string[], number: string): boolean {
  if (list.length === 0) return true;
  return list.some((entry) => {
    const range = parseRange(entry);
    if (range === undefined) return entry === number;
    if (!DIGITS.test(number)) return false;
    const n = BigInt(number);
    return n >= BigInt(range.low) && n <= BigInt(range.high);
  });
}

/** `number` starts with one of `prefixes`; an empty list matches every number. */
export function matchPrefixes(prefixes: readonly string[], number: string): boolean {
  return prefixes.length === 0 || prefixes.some((p) => number.startsWith(p));
}
