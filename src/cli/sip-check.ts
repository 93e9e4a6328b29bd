/**
 * `sbc-agent sip-check FILE... [--json]`: parses each file as one UDP datagram and says whether
 * the SBC would process it, or which status it would answer with (requests: parse, then
 * validateRequest with PROXY_REQUEST_POLICY: the SBC relays bodies, RFC 3261 §16.3), or that it
 * would drop it (a malformed response is never answered, RFC 3261 §18.1.2; a message above
 * MAX_MESSAGE_SIZE is never buffered, so no more than that is read of a file).
 */
import { open } from 'node:fs/promises';
import { describeError, UsageError } from '../core/index.js';
import { getHeader, MAX_MESSAGE_SIZE, parseMessage, PROXY_REQUEST_POLICY, SipParseError, validateRequest } from '../sip/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';

export type SipCheckVerdict =
  | { readonly valid: true; readonly kind: 'request'; readonly method: string; readonly callId: string | undefined }
  | { readonly valid: true; readonly kind: 'response'; readonly code: number; readonly callId: string | undefined }
  | { readonly valid: false; readonly status: number; readonly reason: string }
  | { readonly valid: false; readonly dropped: true; readonly reason: string };

const TOO_LARGE = `too large: more than ${MAX_MESSAGE_SIZE} bytes, the largest SIP message the SBC takes`;

/** The file's bytes, at most MAX_MESSAGE_SIZE + 1 of them (docs/STYLE.md rule 3): /dev/zero ends too. */
async function readBounded(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_MESSAGE_SIZE + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** The verdict for one datagram's bytes. */
export function checkSipDatagram(bytes: Buffer): SipCheckVerdict {
  if (bytes.length > MAX_MESSAGE_SIZE) return { valid: false, dropped: true, reason: TOO_LARGE };
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
  const rejection = validateRequest(message, PROXY_REQUEST_POLICY);
  if (rejection !== undefined) return { valid: false, status: rejection.status, reason: rejection.reason };
  return { valid: true, kind: 'request', method: message.method, callId };
}

function describe(file: string, verdict: SipCheckVerdict): string {
  if (verdict.valid) {
    const what = verdict.kind === 'request' ? `request ${verdict.method}` : `response ${verdict.code}`;
    return `${file}: valid ${what}, Call-ID ${verdict.callId ?? '(none)'}`;
  }
  if ('dropped' in verdict) return verdict.reason === TOO_LARGE ? `${file}: ${TOO_LARGE}; it would be dropped` : `${file}: malformed response, would be dropped (${verdict.reason})`;
  return `${file}: would be rejected with ${verdict.status} ${verdict.reason}`;
}

export const sipCheckCommand: Command = {
  name: 'sip-check',
  summary: 'check SIP messages in files: valid, or the status they would be rejected with',
  usage: `Usage: sbc-agent sip-check FILE... [--json]

Parses each FILE as one UDP datagram (Content-Length optional, bytes after the body ignored)
and, for a request, applies the checks the SBC makes as the proxy it is (RFC 3261 §16.3 and the
integrity checks of §8.2: a body is relayed whatever its type). Prints per file:
  valid, with the method (or the response status) and the Call-ID;
  the status code and reason the request would be rejected with;
  that a malformed response would be dropped (responses are never answered);
  or that the file is too large (more than ${MAX_MESSAGE_SIZE} bytes; no more than that is read).

Options:
  --json   one JSON object per line:
           {"file":"x","valid":true,"kind":"request","method":"INVITE","callId":"..."}
           {"file":"x","valid":true,"kind":"response","code":200,"callId":"..."}
           {"file":"x","valid":false,"status":400,"reason":"Missing Call-ID"}
           {"file":"x","valid":false,"dropped":true,"reason":"Invalid status code"}
           {"file":"x","valid":false,"dropped":true,"reason":"too large: more than ${MAX_MESSAGE_SIZE} bytes, ..."}

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
        bytes = await readBounded(file);
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
