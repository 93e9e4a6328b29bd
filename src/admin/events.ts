/**
 * The admin event stream's events, with PortSIP's topic and event names so existing dashboards
 * and integrations can read them: a topic groups events (`extension_events`), each event has a
 * name (`extension_register`). `AdminEvents` is the one place the agent's and the hub's parts
 * publish to (today: registrations, calls, tunnel; the B2BUA and the CDR writer later); it keeps
 * the last events for `GET /api/events/recent`.
 */
import { TypedEmitter, type Clock } from '../core/index.js';

export const ADMIN_TOPICS = {
  extension_events: ['extension_register', 'extension_unregister'],
  call_events: ['call_start', 'call_established', 'call_ended'],
  trunk_events: ['trunk_connected', 'trunk_disconnected'],
  cdr_events: ['call_cdr'],
  tunnel_events: ['tunnel_up', 'tunnel_down'],
  mode_events: ['mode_changed'],
} as const;

export type AdminTopic = keyof typeof ADMIN_TOPICS;
export type AdminEventName = (typeof ADMIN_TOPICS)[AdminTopic][number];

export interface AdminEvent {
  readonly topic: AdminTopic;
  readonly event: AdminEventName;
  /** ISO time the event was published. */
  readonly time: string;
  /** Per process, increasing: a client sees gaps when it missed events. */
  readonly seq: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export function isAdminTopic(text: string): text is AdminTopic {
  return Object.hasOwn(ADMIN_TOPICS, text);
}

export function topicOf(event: AdminEventName): AdminTopic {
  for (const [topic, names] of Object.entries(ADMIN_TOPICS)) {
    if ((names as readonly string[]).includes(event)) return topic as AdminTopic;
  }
  throw new Error(`unknown admin event ${event}`);
}

const RECENT = 200;

export class AdminEvents {
  readonly #clock: Clock;
  readonly #emitter: TypedEmitter<{ event: AdminEvent }>;
  readonly #recent: AdminEvent[] = [];
  #seq = 0;

  constructor(clock: Clock, onListenerError?: (event: string, error: unknown) => void) {
    this.#clock = clock;
    this.#emitter = new TypedEmitter(onListenerError);
  }

  publish(event: AdminEventName, data: Readonly<Record<string, unknown>>): AdminEvent {
    const e: AdminEvent = { topic: topicOf(event), event, time: new Date(this.#clock.wallNow()).toISOString(), seq: ++this.#seq, data };
    this.#recent.push(e);
    if (this.#recent.length > RECENT) this.#recent.shift();
    this.#emitter.emit('event', e);
    return e;
  }

  on(listener: (e: AdminEvent) => void): () => void {
    return this.#emitter.on('event', listener);
  }

  /** The last events, oldest first. */
  recent(limit = RECENT): AdminEvent[] {
    return this.#recent.slice(-limit);
  }
}
