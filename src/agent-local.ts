/**
 * The agent's "local" call-control mode (agent.calls: local, issue 11): the agent is the registrar
 * and call controller of its phones, with the routing model the hub replicates. One LocalControl
 * per agent (the registrar, its digest checks and its registrations.json, the call handler) and,
 * per LAN, a LocalLanPath: that LAN's SIP stack with a LocalCallPath on it. The tunnel, plug-and-
 * play, STUN and replication stay as they are. Until the B2BUA is wired, established calls are
 * answered 503 (NO_CALL_HANDLER).
 */
import { componentLogger, describeError, type Clock, type Logger } from './core/index.js';
import {
  LocalCallPath, LocalRegistrar, NO_CALL_HANDLER, PhoneAuth, RegistrationsFile, type CallHandler, type LocalBinding,
} from './b2bua/index.js';
import type { RoutingModel } from './routing/index.js';
import { openStack, type CallReport, type SipListenOptions } from './sbc/index.js';
import type { SipStack } from './sip/index.js';

export interface LocalControlOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** `<state>/agent`: registrations.json goes there. */
  readonly dir: string;
  readonly routing: () => RoutingModel | undefined;
}

/** A local registration as `status` shows it. */
export interface LocalRegistrationRow {
  readonly extension: string;
  readonly contact: string;
  /** `UDP 192.168.1.21:5060`: the flow the phone registered from. */
  readonly source: string;
  readonly userAgent: string | null;
  readonly expiresInS: number;
}

export class LocalControl {
  readonly registrar: LocalRegistrar;
  readonly auth: PhoneAuth;
  readonly routing: () => RoutingModel | undefined;
  /** The call handler of every LAN's call path (the B2BUA once wired). */
  calls: CallHandler = NO_CALL_HANDLER;
  readonly #clock: Clock;
  #closed: Promise<void> | undefined;

  private constructor(o: LocalControlOptions, registrar: LocalRegistrar, auth: PhoneAuth) {
    this.registrar = registrar;
    this.auth = auth;
    this.routing = o.routing;
    this.#clock = o.clock;
  }

  /** Reads the stored bindings back (a broken file is logged, and the phones register again). */
  static async open(o: LocalControlOptions): Promise<LocalControl> {
    const logger = componentLogger(o.logger, 'registrar');
    const file = new RegistrationsFile(o.dir);
    let initial: LocalBinding[] = [];
    try {
      initial = await file.load();
    } catch (error) {
      logger.warn({ path: file.path, err: describeError(error) }, 'stored registrations ignored');
    }
    const auth = new PhoneAuth({ clock: o.clock, routing: o.routing });
    const registrar = new LocalRegistrar({ clock: o.clock, routing: o.routing, auth, store: file, initial, logger });
    if (initial.length > 0) logger.info({ bindings: registrar.list().length, path: file.path }, 'registrations loaded from disk');
    return new LocalControl(o, registrar, auth);
  }

  rows(): LocalRegistrationRow[] {
    const now = this.#clock.wallNow();
    return this.registrar.list().map((b) => ({
      extension: b.extension,
      contact: b.uri,
      source: `${b.target.transport} ${b.target.host}:${b.target.port}`,
      userAgent: b.userAgent ?? null,
      expiresInS: Math.round((b.expiresAt - now) / 1000),
    }));
  }

  close(): Promise<void> {
    this.#closed ??= this.registrar.close();
    return this.#closed;
  }
}

/** One LAN in local mode: its SIP stack and the local call path on it. */
export class LocalLanPath {
  readonly stack: SipStack;
  readonly callPath: LocalCallPath;

  private constructor(stack: SipStack, callPath: LocalCallPath) {
    this.stack = stack;
    this.callPath = callPath;
  }

  static async start(o: { readonly clock: Clock; readonly logger: Logger; readonly sip: SipListenOptions; readonly control: LocalControl }): Promise<LocalLanPath> {
    const logger = componentLogger(o.logger, 'local');
    const stack = await openStack(o.clock, logger, o.sip);
    const control = o.control;
    const callPath = new LocalCallPath({
      stack,
      registrar: control.registrar,
      auth: control.auth,
      // Read at each call: the B2BUA may be set after the paths opened.
      calls: { invite: (incoming, origin) => control.calls.invite(incoming, origin), inDialog: (incoming) => control.calls.inDialog(incoming) },
      routing: control.routing,
      logger,
    });
    return new LocalLanPath(stack, callPath);
  }

  /** Calls are the B2BUA's; its media report joins here once it is wired. */
  calls(): Promise<CallReport> {
    return Promise.resolve({ side: 'agent', legs: [] });
  }

  async close(): Promise<void> {
    this.callPath.close();
    await this.stack.close();
  }
}
