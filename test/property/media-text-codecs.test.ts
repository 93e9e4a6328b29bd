/** fast-check: the text readers of SDES, SIP INFO DTMF and RFC 3842 throw only their own error on any input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DtmfInfoError, parseDtmfInfo } from '../../src/media/index.js';
import { SdpParseError, parseCryptoAttribute, serializeCryptoAttribute } from '../../src/sdp/index.js';
import { VoicemailError, decodeMessageSummary } from '../../src/voicemail/index.js';

const text = fc.oneof(fc.string({ maxLength: 120 }), fc.stringMatching(/^[0-9a-zA-Z=:/|^ \r\n#*+-]{0,80}$/));

function onlyThrows(fn: () => unknown, kind: new (...args: never[]) => Error): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof kind, `threw ${String(e)}`);
  }
}

test('parseCryptoAttribute: SdpParseError or a value that serializes back to a line it reads the same', () => {
  fc.assert(
    fc.property(text, (t) => {
      onlyThrows(() => {
        const c = parseCryptoAttribute(t);
        assert.deepEqual(parseCryptoAttribute(serializeCryptoAttribute(c)), c);
      }, SdpParseError);
    }),
  );
});

test('parseDtmfInfo: DtmfInfoError or a digit, for any content type and body', () => {
  fc.assert(fc.property(fc.constantFrom('application/dtmf-relay', 'application/dtmf', 'text/plain'), text, (type, body) => onlyThrows(() => parseDtmfInfo(type, body), DtmfInfoError)));
});

test('decodeMessageSummary: VoicemailError or a summary, for any body', () => {
  fc.assert(fc.property(fc.oneof(text, text.map((t) => `Messages-Waiting: yes\r\n${t}`)), (body) => onlyThrows(() => decodeMessageSummary(body), VoicemailError)));
});
