/**
 * The dialog event package's body (RFC 4235 §4), encoded from typed data: checked against vector
 * files (RFC 4235 §4.2's sample notification in our form, and a confirmed + terminated pair as the
 * BLF notifier sends them), an idle entity, and escaping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDialogInfo, type DialogInfoDocument } from '../../../src/b2bua/index.js';
import { REPO_ROOT } from '../../support/paths.js';

const VECTORS = join(REPO_ROOT, 'test', 'unit', 'b2bua', 'vectors');

const CASES: [file: string, doc: DialogInfoDocument][] = [
  ['dialog-info-rfc4235-4.2.xml', {
    entity: 'sip:alice@example.com', version: 0, state: 'full',
    dialogs: [{ id: 'as7d900as8', callId: 'a84b4c76e66710', localTag: '1928301774', direction: 'initiator', state: 'early' }],
  }],
  ['dialog-info-confirmed-terminated.xml', {
    entity: 'sip:1002@pbx.test', version: 3, state: 'full',
    dialogs: [
      { id: 'call-1', direction: 'recipient', state: 'confirmed', remoteIdentity: 'sip:1001@pbx.test' },
      { id: 'call-0', direction: 'initiator', state: 'terminated', event: 'remote-bye' },
    ],
  }],
];

for (const [file, doc] of CASES) {
  test(`dialog-info vector ${file}: encoded byte for byte`, () => {
    const expected = readFileSync(join(VECTORS, file), 'utf8');
    assert.ok(expected.length > 100, `${file} is there`);
    assert.equal(encodeDialogInfo(doc), expected);
  });
}

test('an entity without dialogs is an empty dialog-info element (idle, RFC 4235 §4.1)', () => {
  assert.equal(
    encodeDialogInfo({ entity: 'sip:1003@pbx.test', version: 7, state: 'full', dialogs: [] }),
    '<?xml version="1.0"?>\r\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:1003@pbx.test"/>\r\n',
  );
});

test('markup in attribute values and identities is escaped; an event is written only for terminated', () => {
  const xml = encodeDialogInfo({
    entity: 'sip:a&b@x', version: 1, state: 'partial',
    dialogs: [{ id: '"<id>"', direction: 'recipient', state: 'early', event: 'cancelled', remoteIdentity: "sip:o'neil@x" }],
  });
  assert.match(xml, /entity="sip:a&amp;b@x"/);
  assert.match(xml, /<dialog id="&quot;&lt;id&gt;&quot;" direction="recipient">/);
  assert.match(xml, /<state>early<\/state>/);
  assert.match(xml, /<identity>sip:o&apos;neil@x<\/identity>/);
  assert.doesNotMatch(xml, /[^&]"<|<id>/);
});
