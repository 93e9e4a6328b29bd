/**
 * One event-stream client, on an in-memory socket: the hello, topics from ?topics= and from
 * subscribe/unsubscribe messages, refusals that name the field, and a slow reader dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { ADMIN_TOPICS, AdminEvents, queryTopics, streamClient, topicOf } from '../../../src/admin/index.js';
import type { TextSocket } from '../../../src/net/index.js';

class MemorySocket implements TextSocket {
  sent: Record<string, unknown>[] = [];
  closed: [number | undefined, string | undefined] | undefined;
  buffered = 0;
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code?: number, reason?: string): void {
    this.closed = [code, reason];
  }
  events(): string[] {
    return this.sent.filter((m) => m['event'] !== undefined).map((m) => String(m['event']));
  }
}

test('every event name belongs to one topic, as PortSIP groups them', () => {
  assert.equal(topicOf('extension_register'), 'extension_events');
  assert.equal(topicOf('call_cdr'), 'cdr_events');
  assert.equal(topicOf('trunk_disconnected'), 'trunk_events');
  const names = Object.values(ADMIN_TOPICS).flat();
  assert.equal(new Set(names).size, names.length);
});

test('?topics=: absent is all, known topics listed, an unknown one refused by name', () => {
  assert.equal(queryTopics(new URLSearchParams('')), undefined);
  assert.deepEqual(queryTopics(new URLSearchParams('topics=call_events,extension_events')), ['call_events', 'extension_events']);
  assert.match(String(queryTopics(new URLSearchParams('topics=call_events,calls'))), /unknown topic "calls"/);
});

test('subscribe and unsubscribe by message; bad messages answered with the field named; the listener goes at close', () => {
  const events = new AdminEvents(new ManualClock());
  const socket = new MemorySocket();
  const client = streamClient(events, socket, ['tunnel_events']);
  assert.deepEqual(socket.sent[0], { hello: { topics: ['tunnel_events'], known: ADMIN_TOPICS } });
  events.publish('extension_register', { extension: '201' });
  events.publish('tunnel_up', {});
  assert.deepEqual(socket.events(), ['tunnel_up']);
  client.onMessage(JSON.stringify({ subscribe: ['extension_events'] }));
  client.onMessage(JSON.stringify({ unsubscribe: ['tunnel_events'] }));
  events.publish('extension_register', { extension: '202' });
  events.publish('tunnel_down', {});
  assert.deepEqual(socket.events(), ['tunnel_up', 'extension_register']);
  const rows: [string, string][] = [['not json', 'message'], [JSON.stringify({ subscribe: 'call_events' }), 'subscribe'], [JSON.stringify({ unsubscribe: ['nope'] }), 'unsubscribe']];
  for (const [text, field] of rows) {
    client.onMessage(text);
    assert.equal((socket.sent.at(-1)?.['error'] as Record<string, unknown> | undefined)?.['field'], field, text);
  }
  client.onClose();
  events.publish('extension_register', { extension: '203' });
  assert.deepEqual(socket.events(), ['tunnel_up', 'extension_register'], 'nothing after close');
});

test('a reader more than 1 MiB behind is closed (1008), not buffered without bound; recent keeps the last 200', () => {
  const events = new AdminEvents(new ManualClock());
  const socket = new MemorySocket();
  streamClient(events, socket, undefined);
  socket.buffered = 2 << 20;
  events.publish('call_start', { callId: 'x' });
  assert.deepEqual(socket.closed, [1008, 'reading too slowly']);
  assert.deepEqual(socket.events(), []);
  for (let i = 0; i < 250; i++) events.publish('call_start', { callId: String(i) });
  const recent = events.recent();
  assert.equal(recent.length, 200);
  assert.equal(recent[0]?.data['callId'], '50');
  assert.equal(recent.at(-1)?.seq, 251);
});
