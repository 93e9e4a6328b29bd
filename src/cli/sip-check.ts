/**
 * `sbc-agent sip-check FILE... [--json]`: parses each file as one UDP datagram and says whether
 * the SBC would process it, or which status it would answer with (requests: parse, then
 * validateRequest with DEFAULT_REQUEST_POLICY), or that it would drop it (a malformed response is
 * never answered, RFC 3261 §18.1.2).
 */
import { readFile } from 'node:fs/promises';
import { describeError, UsageError } from '../core/index.js';
import { DEFAULT_REQUEST_POLICY, getHeader, parseMessage, SipParseError, validateRequest } from '../sip/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';

export type SipCheckVerdict =
  | { readonly valid: true; readonly kind: 'request'; readonly method: string; readonly callId: string | undefined }
  | { readonly valid: true; readonly kind: 'response'; readonly code: number; readonly callId: string | undefined }
  | { readonly valid: false; readonly status: number; readonly reason: string }
  | { readonly valid: false; readonly dropped: true; readonly reason: string };

/** The verdict for one datagram's bytes. */
export function checkSipDatagram(bytes: Buffer): SipCheckVerdict {
  let message;
  try {
    message = parseMessage(bytes);
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    if (error.isResponse) return { valid: false, dropped: true, reason: error.reason };
    return { valid: false, status: error.status, reason: error.reason };
  }
  const callId = getHeader(message, 'Call-ID');
  if (message.kind === 'response') return { valid: true, kind: 'response', code: message.status, callId };
  const rejection = validateRequest(message, DEFAULT_REQUEST_POLICY);
  if (rejection !== undefined) return { valid: false, status: rejection.status, reason: rejection.reason };
  return { valid: true, kind: 'request', method: message.method, callId };
}

function describe(file: string, verdict: SipCheckVerdict): string {
  if (verdict.valid) {
    const what = verdict.kind === 'request' ? `request ${verdict.method}` : `response ${verdict.code}`;
    return `${file}: valid ${what}, Call-ID ${verdict.callId ?? '(none)'}`;
  }
  if ('dropped' in verdict) return `${file}: malformed response, would be dropped (${verdict.reason})`;
  return `${file}: would be rejected with ${verdict.status} ${verdict.reason}`;
}

export const sipCheckCommand: Command = {
  name: 'sip-check',
  summary: 'check SIP messages in files: valid, or the status they would be rejected with',
  usage: `Usage: sbc-agent sip-check FILE... [--json]

Parses each FILE as one UDP datagram (Content-Length optional, bytes after the body ignored)
and, for a request, applies the checks of RFC 3261 §8.2 as the SBC does. Prints per file:
  valid, with the method (or the response status) and the Call-ID;
  the status code and reason the request would be rejected with;
  or that a malformed response would be dropped (responses are never answered).

Options:
  --json   one JSON object per line:
           {"file":"x","valid":true,"kind":"request","method":"INVITE","callId":"..."}
           {"file":"x","valid":true,"kind":"response","code":200,"callId":"..."}
           {"file":"x","valid":false,"status":400,"reason":"Missing Call-ID"}
           {"file":"x","valid":false,"dropped":true,"reason":"Invalid status code"}

Exit status: 0 when every file was read, whatever the verdicts; 4 when a file cannot be read
(the others are still checked); 2 without files.
`,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseArgs(args, { flags: ['json'], positionals: Number.POSITIVE_INFINITY });
    if (parsed.positionals.length === 0) throw new UsageError('name at least one FILE');
    const json = parsed.flags.has('json');
    let code: number = EXIT.OK;
    for (const file of parsed.positionals) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        io.stderr.write(`sbc-agent sip-check: cannot read ${file}: ${describeError(error)}\n`);
        code = EXIT.IO;
        continue;
      }
      const verdict = checkSipDatagram(bytes);
      io.stdout.write(json ? `${JSON.stringify({ file, ...verdict })}\n` : `${describe(file, verdict)}\n`);
    }
    return code;
  },
};
