import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ConfigError } from '../../../src/core/index.js';
import { CSV_COLUMNS, MAX_CSV_BYTES, importExtensionsCsv, type Extension } from '../../../src/routing/index.js';

const HEADER = 'number,name,password,department,outboundCallerId,emergencyCallerId,homeAgent,enabled';
const REALM = 'pbx.example.net';
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

test('a file with quoted fields, commas, doubled quotes, line breaks, CRLF and a BOM', () => {
  const text =
    '\uFEFF' +
    [
      HEADER,
      '101,"Martin, Alice","pa,ss""word",sales,+33123456789,+33123456701,paris-office,true',
      '102,Bob Durand,hunter2,,,,,',
      '103,"Carol ""CJ""\nSmith",x,support,,,,no',
      '',
    ].join('\r\n');
  const expected: Extension[] = [
    {
      number: '101', name: 'Martin, Alice', ha1: md5(`101:${REALM}:pa,ss"word`), realm: REALM, enabled: true,
      outboundCallerId: '+33123456789', emergencyCallerId: '+33123456701', department: 'sales', homeAgent: 'paris-office',
      forwarding: {}, exceptions: [], autoStatus: false,
    },
    { number: '102', name: 'Bob Durand', ha1: md5(`102:${REALM}:hunter2`), realm: REALM, enabled: true, forwarding: {}, exceptions: [], autoStatus: false },
    { number: '103', name: 'Carol "CJ"\nSmith', ha1: md5(`103:${REALM}:x`), realm: REALM, enabled: false, department: 'support', forwarding: {}, exceptions: [], autoStatus: false },
  ];
  const got = importExtensionsCsv(text, REALM);
  assert.deepEqual(got, expected);
  const json = JSON.stringify(got);
  for (const secret of ['pa,ss', 'hunter2', 'password']) assert.ok(!json.includes(secret), secret);
});

test('columns may come in any order', () => {
  const text = 'enabled,homeAgent,emergencyCallerId,outboundCallerId,department,password,name,number\n0,,,,,secret,Dora,104\n';
  assert.deepEqual(importExtensionsCsv(text, REALM), [{ number: '104', name: 'Dora', ha1: md5(`104:${REALM}:secret`), realm: REALM, enabled: false, forwarding: {}, exceptions: [], autoStatus: false }]);
});

test('a header alone is no extensions', () => {
  assert.deepEqual(importExtensionsCsv(`${HEADER}\n`, REALM), []);
  assert.deepEqual(CSV_COLUMNS.join(','), HEADER);
});

test('every bad file is refused naming the line and the column', () => {
  const row = (cells: Partial<Record<(typeof CSV_COLUMNS)[number], string>>): string =>
    CSV_COLUMNS.map((c) => cells[c] ?? { number: '101', name: 'A', password: 'p' }[c as string] ?? '').join(',');
  const table: Array<[string, string, string]> = [
    ['empty file', '', 'line 1'],
    ['unknown column', HEADER.replace('homeAgent', 'agent'), 'line 1, column 7'],
    ['column twice', `${HEADER},name`, 'line 1, column 9'],
    ['column missing', HEADER.replace(',enabled', ''), 'line 1'],
    ['row too short', `${HEADER}\n101,A,p`, 'line 2'],
    ['row too long', `${HEADER}\n${row({})},x`, 'line 2'],
    ['number with letters', `${HEADER}\n${row({ number: '10a' })}`, 'line 2, column 1 (number)'],
    ['number empty', `${HEADER}\n${row({ number: '' })}`, 'line 2, column 1 (number)'],
    ['name empty', `${HEADER}\n${row({ name: ' ' })}`, 'line 2, column 2 (name)'],
    ['password empty', `${HEADER}\n${row({ password: '' })}`, 'line 2, column 3 (password)'],
    ['department with a space', `${HEADER}\n${row({ department: 'sales team' })}`, 'line 2, column 4 (department)'],
    ['outbound caller ID with letters', `${HEADER}\n${row({ outboundCallerId: 'ACME' })}`, 'line 2, column 5 (outboundCallerId)'],
    ['emergency caller ID with a space', `${HEADER}\n${row({ emergencyCallerId: '+33 1' })}`, 'line 2, column 6 (emergencyCallerId)'],
    ['home agent with a slash', `${HEADER}\n${row({ homeAgent: 'a/b' })}`, 'line 2, column 7 (homeAgent)'],
    ['enabled neither true nor false', `${HEADER}\n${row({ enabled: 'maybe' })}`, 'line 2, column 8 (enabled)'],
    ['number twice', `${HEADER}\n${row({})}\n${row({ number: '102' })}\n${row({})}`, 'line 4, column 1 (number)'],
    ['bad row after a multi-line name', `${HEADER}\n101,"A\nB",p,,,,,\n${row({ number: 'x' })}`, 'line 4, column 1 (number)'],
    ['quote inside an unquoted field', `${HEADER}\n101,A"B,p,,,,,`, 'line 2, column 2'],
    ['text after a closing quote', `${HEADER}\n101,"A"B,p,,,,,`, 'line 2, column 2'],
    ['quote never closed', `${HEADER}\n101,A,"p,,,,,\n102,B,p,,,,,`, 'line 2, column 3'],
  ];
  for (const [name, text, path] of table) {
    assert.throws(() => importExtensionsCsv(text, REALM), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(`${path}: `), name);
  }
  assert.throws(() => importExtensionsCsv(`${HEADER}\n`, ''), { code: 'SBC_ERR_CONFIG', path: 'realm' });
  assert.throws(() => importExtensionsCsv(`${HEADER}\n${'x'.repeat(MAX_CSV_BYTES)}`, REALM), { code: 'SBC_ERR_CONFIG', path: '(file)' });
});

/** A CSV writer as a spreadsheet writes: every field quoted, quotes doubled. */
const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;

test('property: names and passwords of any characters come back (names) and as HA1s (passwords)', () => {
  const person = fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''), password: fc.string({ minLength: 1, maxLength: 20 }), enabled: fc.boolean() });
  fc.assert(
    fc.property(fc.array(person, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (people, eol) => {
      const lines = people.map((p, i) => [String(100 + i), quote(p.name), quote(p.password), '', '', '', '', p.enabled ? 'yes' : 'no'].join(','));
      const got = importExtensionsCsv([HEADER, ...lines].join(eol) + eol, REALM);
      assert.equal(got.length, people.length);
      people.forEach((p, i) => {
        assert.equal(got[i]?.name, p.name);
        assert.equal(got[i]?.ha1, md5(`${100 + i}:${REALM}:${p.password}`));
        assert.equal(got[i]?.enabled, p.enabled);
      });
    }),
    { numRuns: 500 },
  );
});

test('property: arbitrary text is imported or refused with a ConfigError, nothing else', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(',', '"', '\n', '\r', 'a', '1', ' ', '+'), { maxLength: 60 }), (chars) => {
      try {
        importExtensionsCsv(`${HEADER}\n${chars.join('')}`, REALM);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});
