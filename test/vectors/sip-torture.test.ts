/**
 * Every RFC 4475 and RFC 5118 torture message (test/vectors/data/sip-torture, byte-identical copies of the RFC archives) against the
 * expectation table of test/support/torture-expectations.ts. RFC 5118 files are LF-only archive
 * text and are converted to wire form first (LF → CRLF, empty line added, Content-Length
 * recomputed), as the README beside them says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_REQUEST_POLICY,
  SipParseError,
  getHeader,
  getHeaders,
  parseCSeq,
  parseMaxForwards,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  unescapeUriPart,
  validateRequest,
  withoutHeader,
  type SipMessage,
  type SipUri,
} from '../../src/sip/index.js';
import { TORTURE_EXPECTATIONS, listTortureFiles, tortureWireBytes, type TortureExpectation } from '../support/torture-expectations.js';

function outcome(bytes: Buffer): { verdict: TortureExpectation; message?: SipMessage } {
  let message: SipMessage;
  try {
    message = parseMessage(bytes);
  } catch (error) {
    assert.ok(error instanceof SipParseError, `only SipParseError may escape, got ${String(error)}`);
    return { verdict: error.isResponse ? 'drop' : error.status };
  }
  if (message.kind === 'response') return { verdict: 'valid', message };
  const rejection = validateRequest(message, DEFAULT_REQUEST_POLICY);
  return { verdict: rejection === undefined ? 'valid' : rejection.status, message };
}

function sipUri(text: string): SipUri {
  const uri = parseUri(text);
  assert.equal(uri.kind, 'sip');
  return uri as SipUri;
}

const files = listTortureFiles();

test('the table and the directory list the same 62 files', () => {
  assert.equal(files.filter((f) => f.startsWith('rfc4475/')).length, 50);
  assert.equal(files.filter((f) => f.startsWith('rfc5118/')).length, 12);
  const missing = files.filter((f) => !(f in TORTURE_EXPECTATIONS));
  assert.deepEqual(missing, [], 'files on disk without an expected outcome');
  const stale = Object.keys(TORTURE_EXPECTATIONS).filter((f) => !files.includes(f));
  assert.deepEqual(stale, [], 'table entries without a file');
});

for (const file of files) {
  test(`${file}: ${String(TORTURE_EXPECTATIONS[file] ?? 'no expectation')}`, () => {
    const expected = TORTURE_EXPECTATIONS[file];
    assert.notEqual(expected, undefined, 'no entry in the expectation table');
    const { verdict, message } = outcome(tortureWireBytes(file));
    assert.equal(verdict, expected);
    if (verdict !== 'valid' || message === undefined) return;
    // Normalised out, then read back: the same message but for the rewritten Content-Length.
    const wire = serializeMessage(message);
    const again = parseMessage(wire);
    assert.deepEqual(withoutHeader(again.headers, 'Content-Length'), withoutHeader(message.headers, 'Content-Length'));
    assert.deepEqual(again.body, message.body);
    assert.equal(getHeader(again, 'Content-Length'), String(message.body.length));
    assert.deepEqual({ ...again, headers: [], body: Buffer.alloc(0) }, { ...message, headers: [], body: Buffer.alloc(0) });
    assert.deepEqual(serializeMessage(again), wire, 'serialisation is stable');
  });
}

function parsed(file: string): SipMessage {
  return parseMessage(tortureWireBytes(file));
}

test('wsinv: folding, LWS around separators, leading zeros, empty and unknown headers', () => {
  const m = parsed('rfc4475/wsinv.dat');
  assert.equal(m.kind === 'request' && m.method, 'INVITE');
  assert.equal(getHeader(m, 'Call-ID'), 'wsinv.ndaksdj@192.0.2.1');
  assert.equal(getHeader(m, 'Subject'), '');
  assert.equal(getHeader(m, 'NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(getHeader(m, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.deepEqual(parseCSeq(getHeader(m, 'CSeq') ?? ''), { seq: 9, method: 'INVITE' });
  assert.equal(parseMaxForwards(getHeader(m, 'Max-Forwards') ?? ''), 68);
  const vias = getHeaders(m, 'Via').map(parseVia);
  assert.deepEqual(vias.map((v) => [v.protocol, v.transport, v.host, v.params.get('branch')]), [
    ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
    ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
    ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  assert.equal(parseNameAddr(getHeader(m, 'To') ?? '').params.get('tag'), '1918181833n');
  const from = parseNameAddr(getHeader(m, 'From') ?? '');
  assert.equal(from.displayName, 'J Rosenberg \\"');
  assert.equal(from.params.get('tag'), '98asjd8');
  const contact = parseNameAddr(getHeader(m, 'Contact') ?? '');
  assert.equal(contact.displayName, 'Quoted string ""');
  assert.deepEqual([...contact.params], [['newparam', 'newvalue'], ['secondparam', undefined], ['q', '0.33']]);
  assert.equal(m.body.length, 150);
});

test('intmeth: unusual method, URI characters, UTF-8 and every token character in a header name', () => {
  const m = parsed('rfc4475/intmeth.dat');
  assert.equal(m.kind === 'request' && m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  const uri = sipUri(m.kind === 'request' ? m.uri : '');
  assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(uri.host, 'example.com');
  assert.equal(getHeader(m, "extensionHeader-!.%*+_`'~"), '\uFEFF\u5927\u505C\u96FB');
  assert.equal(parseNameAddr(getHeader(m, 'To') ?? '').displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  assert.equal(parseNameAddr(getHeader(m, 'From') ?? '').params.get("fromparam''~+*_!.-%"), '"работающий"');
});

test('esc01, escnull, semiuri: escaped URI users are kept as written and unescape on demand', () => {
  const esc01 = parsed('rfc4475/esc01.dat');
  const ruri = sipUri(esc01.kind === 'request' ? esc01.uri : '');
  assert.equal(ruri.user, 'sips%3Auser%40example.com');
  assert.equal(unescapeUriPart(ruri.user ?? ''), 'sips:user@example.com');
  assert.equal(unescapeUriPart(sipUri(parseNameAddr(getHeader(esc01, 'To') ?? '').uri).user ?? ''), 'user');
  const contact = sipUri(parseNameAddr(getHeader(esc01, 'Contact') ?? '').uri);
  assert.deepEqual([...contact.params], [['%6c%72', undefined], ['n%61me', 'v%61lue%25%34%31']]);
  const escnull = parsed('rfc4475/escnull.dat');
  assert.equal(unescapeUriPart(sipUri(parseNameAddr(getHeader(escnull, 'To') ?? '').uri).user ?? ''), 'null-\0-null');
  assert.equal(getHeaders(escnull, 'Contact').length, 2);
  const semiuri = parsed('rfc4475/semiuri.dat');
  assert.equal(sipUri(semiuri.kind === 'request' ? semiuri.uri : '').user, 'user;par=u%40example.net');
  assert.equal(getHeaders(semiuri, 'Accept').length, 6);
});

test('esc02: C%6Fntact is an extension header, not Contact', () => {
  const m = parsed('rfc4475/esc02.dat');
  assert.equal(getHeaders(m, 'Contact').length, 2);
  assert.equal(getHeader(m, 'C%6Fntact'), '<sip:alias2@host2.example.com>');
});

test('dblreq: the datagram after the body is ignored; mpart01: the binary body is intact', () => {
  const dbl = parsed('rfc4475/dblreq.dat');
  assert.equal(dbl.kind === 'request' && dbl.method, 'REGISTER');
  assert.equal(dbl.body.length, 0);
  const mpart = parsed('rfc4475/mpart01.dat');
  assert.equal(mpart.body.length, 553);
  assert.ok([...mpart.body].some((b, i, all) => b === 0x0d && all[i + 1] !== 0x0a), 'binary part with a bare CR kept');
  assert.ok(mpart.body.subarray(-22).toString('latin1').startsWith('--7a9cbec02ceef655--'));
});

test('longreq, transports, lwsdisp, badbranch, inv2543: many Vias, odd transports, RFC 2543 syntax', () => {
  const long = parsed('rfc4475/longreq.dat');
  assert.equal(getHeaders(long, 'Via').length, 34);
  assert.equal(getHeaders(long, 'Contact').length, 1);
  assert.equal(getHeader(long, 'Call-ID')?.length, 141);
  const transports = parsed('rfc4475/transports.dat');
  assert.deepEqual(getHeaders(transports, 'Via').map((v) => parseVia(v).transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  assert.equal(parseNameAddr(getHeader(parsed('rfc4475/lwsdisp.dat'), 'From') ?? '').displayName, 'caller');
  assert.equal(parseVia(getHeader(parsed('rfc4475/badbranch.dat'), 'Via') ?? '').params.get('branch'), 'z9hG4bK');
  const inv = parsed('rfc4475/inv2543.dat');
  assert.equal(getHeader(inv, 'Content-Length'), undefined);
  assert.equal(inv.body.length, tortureWireBytes('rfc4475/inv2543.dat').length - tortureWireBytes('rfc4475/inv2543.dat').indexOf('\r\n\r\n') - 4);
});

test('unreason, noreason: UTF-8 and empty reason phrases', () => {
  const un = parsed('rfc4475/unreason.dat');
  assert.equal(un.kind === 'response' && un.reason, '= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435');
  const no = parsed('rfc4475/noreason.dat');
  assert.equal(no.kind === 'response' && no.status, 100);
  assert.equal(no.kind === 'response' && no.reason, '');
});

test('RFC 5118: IPv6 references in URIs and Vias', () => {
  const ruri = (file: string): SipUri => {
    const m = parsed(file);
    return sipUri(m.kind === 'request' ? m.uri : '');
  };
  assert.equal(ruri('rfc5118/ipv6-good').host, '2001:db8::10');
  assert.deepEqual([ruri('rfc5118/port-ambiguous').host, ruri('rfc5118/port-ambiguous').port], ['2001:db8::10:5070', undefined]);
  assert.deepEqual([ruri('rfc5118/port-unambiguous').host, ruri('rfc5118/port-unambiguous').port], ['2001:db8::10', 5070]);
  assert.equal(ruri('rfc5118/ipv6-bug-abnf-3-colons').host, '2001:db8:::192.0.2.1');
  assert.equal(ruri('rfc5118/ipv6-correct-abnf-2-colons').host, '2001:db8::192.0.2.1');
  const via = (file: string) => parseVia(getHeader(parsed(file), 'Via') ?? '');
  assert.equal(via('rfc5118/via-received-param-with-delim').params.get('received'), '[2001:db8::9:255]');
  assert.equal(via('rfc5118/via-received-param-no-delim').params.get('received'), '2001:db8::9:255');
  assert.deepEqual([via('rfc5118/ipv4-mapped-ipv6').host, via('rfc5118/ipv4-mapped-ipv6').port], ['::ffff:192.0.2.10', 19823]);
  const mult = getHeaders(parsed('rfc5118/mult-ip-in-header'), 'Via').map(parseVia);
  assert.deepEqual(mult.map((v) => [v.transport, v.host, v.port]), [['UDP', '2001:db8::9:1', 6050], ['UDP', '192.0.2.1', undefined], ['TCP', '2001:db8::9:255', undefined]]);
  assert.equal(parsed('rfc5118/ipv6-in-sdp').body.toString().split('\r\n')[1], 'o=assistant 971731711378798081 0 IN IP6 2001:db8::20');
});
