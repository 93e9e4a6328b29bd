/**
 * Expected outcome of every RFC 4475 / RFC 5118 torture message (test/vectors/data/sip-torture), shared by
 * the vector test and the `sip-check` process test. 'valid': parses, and a request passes
 * validateRequest(DEFAULT_REQUEST_POLICY); a number: the status the request is rejected with;
 * 'drop': a malformed response (never answered). Grouped by the RFC section each message comes
 * from. Where RFC 4475 lets a liberal element accept, the choice is noted.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SIP_TORTURE_DIR } from './paths.js';

export type TortureExpectation = 'valid' | 'drop' | number;

export const TORTURE_EXPECTATIONS: Readonly<Record<string, TortureExpectation>> = {
  // RFC 4475 §3.1.1: valid messages.
  'rfc4475/wsinv.dat': 'valid',
  'rfc4475/intmeth.dat': 'valid',
  'rfc4475/esc01.dat': 'valid',
  'rfc4475/escnull.dat': 'valid',
  'rfc4475/esc02.dat': 'valid',
  'rfc4475/lwsdisp.dat': 'valid',
  'rfc4475/longreq.dat': 'valid',
  'rfc4475/dblreq.dat': 'valid',
  'rfc4475/semiuri.dat': 'valid',
  'rfc4475/transports.dat': 'valid',
  'rfc4475/mpart01.dat': 'valid',
  'rfc4475/unreason.dat': 'valid',
  'rfc4475/noreason.dat': 'valid',
  // RFC 4475 §3.1.2: invalid messages.
  'rfc4475/badinv01.dat': 400,
  'rfc4475/clerr.dat': 400,
  'rfc4475/ncl.dat': 400,
  'rfc4475/scalar02.dat': 400,
  'rfc4475/scalarlg.dat': 'drop',
  'rfc4475/quotbal.dat': 400,
  'rfc4475/ltgtruri.dat': 400,
  'rfc4475/lwsruri.dat': 400,
  'rfc4475/lwsstart.dat': 'valid', // liberal: runs of spaces in the start line are tolerated
  'rfc4475/trws.dat': 'valid', // liberal: trailing spaces on the start line are tolerated
  'rfc4475/escruri.dat': 400, // headers are not allowed in a Request-URI (RFC 3261 §19.1.1)
  'rfc4475/baddate.dat': 'valid', // liberal: Date is not interpreted
  'rfc4475/regbadct.dat': 400, // not liberal: "?" outside "<>" is ambiguous in general
  'rfc4475/badaspec.dat': 'valid', // liberal: spaces inside "< >" are trimmed
  'rfc4475/baddn.dat': 'valid', // liberal: unquoted non-token display name; no final empty line
  'rfc4475/badvers.dat': 505,
  'rfc4475/mismatch01.dat': 400,
  'rfc4475/mismatch02.dat': 501,
  'rfc4475/bigcode.dat': 'drop',
  // RFC 4475 §3.2, §3.3, §3.4: transaction and application layer.
  'rfc4475/badbranch.dat': 'valid',
  'rfc4475/insuf.dat': 400,
  'rfc4475/unkscm.dat': 416,
  'rfc4475/novelsc.dat': 416,
  'rfc4475/unksm2.dat': 'valid',
  'rfc4475/bext01.dat': 420,
  'rfc4475/invut.dat': 415,
  'rfc4475/regaut01.dat': 'valid',
  'rfc4475/multi01.dat': 400,
  'rfc4475/mcl01.dat': 400,
  'rfc4475/bcast.dat': 'valid',
  'rfc4475/zeromf.dat': 'valid', // an OPTIONS with Max-Forwards 0 is answered
  'rfc4475/cparam01.dat': 'valid',
  'rfc4475/cparam02.dat': 'valid',
  'rfc4475/regescrt.dat': 'valid',
  'rfc4475/sdp01.dat': 406,
  'rfc4475/inv2543.dat': 'valid',
  'rfc4475/test.dat': 400, // unreferenced archive file: no SIP-Version, a header line without colon
  // RFC 5118.
  'rfc5118/ipv6-good': 'valid',
  'rfc5118/port-ambiguous': 'valid', // parsed as the address 2001:db8::10:5070 with no port
  'rfc5118/port-unambiguous': 'valid',
  'rfc5118/via-received-param-with-delim': 'valid',
  'rfc5118/via-received-param-no-delim': 'valid',
  'rfc5118/ipv6-in-sdp': 'valid',
  'rfc5118/mult-ip-in-header': 'valid',
  'rfc5118/mult-ip-in-sdp': 'valid',
  'rfc5118/ipv4-mapped-ipv6': 'valid',
  'rfc5118/ipv6-correct-abnf-2-colons': 'valid',
  'rfc5118/ipv6-bug-abnf-3-colons': 'valid', // RFC 5118 §4.10: tolerate both forms
  'rfc5118/ipv6-bad': 400, // IPv6 address without brackets: "2001" with port "db8::10"
};

const NOT_MESSAGES = new Set(['README.md', 'SHA256SUMS']);

/** Every message file on disk, as "rfc4475/x.dat" / "rfc5118/x", sorted. */
export function listTortureFiles(): string[] {
  return ['rfc4475', 'rfc5118'].flatMap((dir) =>
    readdirSync(join(SIP_TORTURE_DIR, dir))
      .filter((name) => !NOT_MESSAGES.has(name))
      .sort()
      .map((name) => `${dir}/${name}`),
  );
}

/**
 * The bytes a UDP datagram would carry. RFC 4475 files are already wire form. RFC 5118 files are
 * LF-only archive text (test/vectors/data/sip-torture/README.md): LF → CRLF, add the missing empty line after
 * the headers, and recompute Content-Length from the body.
 */
export function tortureWireBytes(file: string): Buffer {
  const raw = readFileSync(join(SIP_TORTURE_DIR, file));
  if (!file.startsWith('rfc5118/')) return raw;
  const text = raw.toString('latin1');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text.replace(/\n$/, '') : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2).replace(/\n/g, '\r\n');
  const headLines = head.split('\n').map((line) => (/^content-length\s*:/i.test(line) ? `Content-Length: ${Buffer.byteLength(body, 'latin1')}` : line));
  return Buffer.from(`${headLines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}
