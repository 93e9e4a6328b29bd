/**
 * Inbound caller masks and whether two of them can match the same caller. A mask is a digit
 * pattern (`*` stands for exactly one digit, so it matches numbers of its own length only) or a
 * range `A-B` of digit strings of equal length (both ends included). Several inbound rules may
 * share a DID only if no caller matches two of them, so validation asks `masksOverlap` of every
 * pair of their masks.
 */

const PATTERN = /^[0-9*]{1,32}$/;
const RANGE = /^([0-9]{1,32})-([0-9]{1,32})$/;

export type CallerMask =
  | { readonly kind: 'pattern'; readonly pattern: string }
  | { readonly kind: 'range'; readonly low: string; readonly high: string };

/** The mask, or a reason it is not one. */
export function parseCallerMask(text: string): CallerMask | string {
  if (PATTERN.test(text)) return { kind: 'pattern', pattern: text };
  const m = RANGE.exec(text);
  if (m === null) return "a caller mask is digits with '*' for any one digit, or a range such as 00442012345670-00442012345680";
  const low = m[1] ?? '';
  const high = m[2] ?? '';
  if (low.length !== high.length) return 'both ends of a range have the same number of digits';
  // Equal lengths: comparing the strings compares the numbers.
  if (low > high) return 'a range starts at its lower end';
  return { kind: 'range', low, high };
}

function lengthOf(m: CallerMask): number {
  return m.kind === 'pattern' ? m.pattern.length : m.low.length;
}

/**
 * The smallest number matching `pattern` that is not below `low` (same length), or undefined.
 * Keeps the longest prefix of `low` the pattern allows, raises the next digit by the least
 * amount, then fills the rest with the smallest digits the pattern allows.
 */
function smallestAtLeast(pattern: string, low: string): string | undefined {
  const n = pattern.length;
  const fits = (i: number, d: string): boolean => pattern[i] === '*' || pattern[i] === d;
  let prefix = 0;
  while (prefix < n && fits(prefix, low[prefix] ?? '')) prefix++;
  if (prefix === n) return low;
  const minFill = (from: number): string => [...pattern.slice(from)].map((c) => (c === '*' ? '0' : c)).join('');
  for (let i = prefix; i >= 0; i--) {
    const current = Number(low[i]);
    for (let d = current + 1; d <= 9; d++) {
      if (fits(i, String(d))) return low.slice(0, i) + String(d) + minFill(i + 1);
    }
  }
  return undefined;
}

/** Whether some caller number matches both masks. */
export function masksOverlap(a: CallerMask, b: CallerMask): boolean {
  if (lengthOf(a) !== lengthOf(b)) return false;
  if (a.kind === 'pattern' && b.kind === 'pattern') {
    return [...a.pattern].every((c, i) => c === '*' || b.pattern[i] === '*' || b.pattern[i] === c);
  }
  if (a.kind === 'range' && b.kind === 'range') return (a.low > b.low ? a.low : b.low) <= (a.high < b.high ? a.high : b.high);
  const pattern = a.kind === 'pattern' ? a : (b as Extract<CallerMask, { kind: 'pattern' }>);
  const range = a.kind === 'range' ? a : (b as Extract<CallerMask, { kind: 'range' }>);
  const first = smallestAtLeast(pattern.pattern, range.low);
  return first !== undefined && first <= range.high;
}
