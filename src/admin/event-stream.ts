/**
 * One WebSocket client of `/api/events`. It receives the events of the topics it subscribed to,
 * one JSON object per message (AdminEvent). Topics come from `?topics=a,b` at connect time and
 * from messages `{"subscribe": ["call_events"]}` / `{"unsubscribe": [...]}`; none named means all.
 * A message the client cannot be sent because it reads too slowly (over 1 MiB queued) ends its
 * connection rather than growing the queue without bound (docs/STYLE.md rule 3).
 */
import type { TextSocket, TextSocketHandler } from '../net/index.js';
import { ADMIN_TOPICS, isAdminTopic, type AdminEvent, type AdminEvents, type AdminTopic } from './events.js';

const MAX_BUFFERED = 1 << 20;

function topicsOf(value: unknown): AdminTopic[] | string {
  if (!Array.isArray(value)) return 'must be a list of topics';
  const topics: AdminTopic[] = [];
  for (const t of value) {
    if (typeof t !== 'string' || !isAdminTopic(t)) return `unknown topic ${JSON.stringify(t)} (known: ${Object.keys(ADMIN_TOPICS).join(', ')})`;
    topics.push(t);
  }
  return topics;
}

/** Parses `?topics=`: undefined when absent, else the topics or why they are wrong. */
export function queryTopics(query: URLSearchParams): AdminTopic[] | string | undefined {
  const text = query.get('topics');
  if (text === null) return undefined;
  return topicsOf(text.split(',').filter((t) => t !== ''));
}

export function streamClient(events: AdminEvents, socket: TextSocket, initial: readonly AdminTopic[] | undefined): TextSocketHandler {
  const topics = new Set<AdminTopic>(initial ?? []);
  const send = (e: AdminEvent): void => {
    if (topics.size > 0 && !topics.has(e.topic)) return;
    if (socket.buffered > MAX_BUFFERED) {
      socket.close(1008, 'reading too slowly');
      return;
    }
    socket.send(JSON.stringify(e));
  };
  const off = events.on(send);
  socket.send(JSON.stringify({ hello: { topics: [...topics], known: ADMIN_TOPICS } }));
  return {
    onMessage(text) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        socket.send(JSON.stringify({ error: { field: 'message', message: 'not valid JSON' } }));
        return;
      }
      const m = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
      for (const verb of ['subscribe', 'unsubscribe'] as const) {
        if (m[verb] === undefined) continue;
        const list = topicsOf(m[verb]);
        if (typeof list === 'string') {
          socket.send(JSON.stringify({ error: { field: verb, message: list } }));
          return;
        }
        for (const t of list) {
          if (verb === 'subscribe') topics.add(t);
          else topics.delete(t);
        }
        socket.send(JSON.stringify({ subscribed: [...topics] }));
      }
    },
    onClose: off,
  };
}
