/** The last message-summary per mailbox (sbc/message-summary-memory.ts): latest wins, bounded, odd bodies ignored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SUMMARY_BYTES, MESSAGE_SUMMARY_CONTENT_TYPE, MessageSummaryMemory } from '../../../src/sbc/message-summary-memory.js';

test('the latest body per mailbox is kept; the mailbox updated longest ago goes first when full', () => {
  const m = new MessageSummaryMemory(2);
  m.remember('101', 'application/simple-message-summary', Buffer.from('Messages-Waiting: yes\r\n'));
  m.remember('102', undefined, Buffer.from('Messages-Waiting: no\r\n'));
  m.remember('101', 'application/simple-message-summary', Buffer.from('Messages-Waiting: no\r\n'));
  assert.equal(m.last('101')?.body.toString(), 'Messages-Waiting: no\r\n');
  assert.equal(m.last('102')?.contentType, MESSAGE_SUMMARY_CONTENT_TYPE, 'a missing Content-Type is the RFC 3842 one');
  m.remember('103', undefined, Buffer.from('Messages-Waiting: yes\r\n'));
  assert.equal(m.size, 2);
  assert.equal(m.last('102'), undefined, '102 was updated longest ago');
  assert.ok(m.last('101') !== undefined && m.last('103') !== undefined);
});

test('bodies that are not kept', () => {
  const table: Array<[string, string, Buffer]> = [
    ['empty body', '101', Buffer.alloc(0)],
    ['oversized body', '101', Buffer.alloc(MAX_SUMMARY_BYTES + 1, 0x41)],
    ['no user part', '', Buffer.from('Messages-Waiting: yes\r\n')],
  ];
  for (const [name, user, body] of table) {
    const m = new MessageSummaryMemory();
    m.remember(user, undefined, body);
    assert.equal(m.size, 0, name);
  }
});

test('a remembered body is a copy: a later change of the NOTIFY buffer does not change it', () => {
  const m = new MessageSummaryMemory();
  const body = Buffer.from('Messages-Waiting: yes\r\n');
  m.remember('101', undefined, body);
  body.fill(0x20);
  assert.equal(m.last('101')?.body.toString(), 'Messages-Waiting: yes\r\n');
});
