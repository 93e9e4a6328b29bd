/** CDRs for the tests: valid by default, every field overridable. */
import type { CdrRecord } from '../../src/routing/index.js';

/** 2026-12-03T10:00:00Z. */
export const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);

export function cdr(n: number, over: Partial<CdrRecord> = {}): CdrRecord {
  const startedAt = T0 + n * 60_000;
  return {
    id: `cdr-${String(n).padStart(6, '0')}`,
    callId: `call-${n}@branch`,
    caller: '101',
    callee: String(200 + (n % 50)),
    direction: 'internal',
    startedAt,
    answeredAt: startedAt + 5_000,
    endedAt: startedAt + 65_000,
    talkSeconds: 60,
    endedReason: 'completed',
    endedBy: 'caller',
    finalDestination: `extension:${200 + (n % 50)}`,
    agent: 'branch-lyon',
    survival: false,
    ...over,
  };
}
