/**
 * SIP scanners announce themselves: sipvicious sends `User-Agent: friendly-scanner`, and its
 * followers (sipcli, sip-scan, VaxSIPUserAgent, ...) their own names. A request from one is
 * dropped before it is parsed, without an answer: an answer tells the scanner a SIP server is here.
 */

/** Lower-case fragments of scanner User-Agents. */
export const SCANNER_AGENTS: readonly string[] = [
  'friendly-scanner', 'sipvicious', 'sipcli', 'sip-scan', 'sipscan', 'vaxsipuseragent', 'pplsip', 'iwar', 'sundayddr', 'sivus', 'smap',
];

/** How far into a datagram the User-Agent is looked for (a scanner's requests are short). */
const LOOK_BYTES = 2048;

const USER_AGENT = /\r?\nuser-agent[ \t]*:[ \t]*([^\r\n]*)/i;

/** The scanner fragment matched in a request's User-Agent, or undefined (responses are never scanners). */
export function scannerAgent(data: Buffer): string | undefined {
  if (data.length < 8 || data.toString('latin1', 0, 8) === 'SIP/2.0 ') return undefined;
  const head = data.toString('latin1', 0, Math.min(data.length, LOOK_BYTES));
  const ua = USER_AGENT.exec(head)?.[1]?.toLowerCase();
  if (ua === undefined) return undefined;
  return SCANNER_AGENTS.find((s) => ua.includes(s));
}
