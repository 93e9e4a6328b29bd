/**
 * systemd's service notification protocol, for units with Type=notify and WatchdogSec=
 * (sd_notify(3), sd_watchdog_enabled(3)): newline-separated VAR=value assignments, one datagram
 * each, sent to the unix socket named by $NOTIFY_SOCKET.
 *
 * - READY=1 once every listener is bound: `systemctl start` returns and units ordered after ours
 *   start only then.
 * - WATCHDOG=1 every WATCHDOG_USEC / 2, from a Clock interval on the event loop: a loop that is
 *   stuck (a busy callback, a deadlock of promises that starves timers) stops the pings, and
 *   systemd restarts the service after WatchdogSec. A ping from a thread would hide exactly that.
 * - STATUS=<one line> for `systemctl status`; STOPPING=1 when shutdown (or a drain) begins;
 *   RELOADING=1 ... READY=1 around a configuration reload.
 *
 * Without $NOTIFY_SOCKET (not under systemd, or a unit without Type=notify) every method does
 * nothing. A send that fails never throws: the service is worth more running than notifying.
 */
import type { Clock, Logger, Timer } from '../core/index.js';

/** Sends one datagram to a unix socket address ('/path', or '\0name' for an abstract socket); may throw. */
export type NotifySend = (socketAddress: string, datagram: Buffer) => void;

export interface SystemdEnvironment {
  /** The socket's sockaddr_un path: '/run/systemd/notify', or '\0name' for $NOTIFY_SOCKET '@name'. */
  readonly socket: string | undefined;
  /** Half of WATCHDOG_USEC in milliseconds, when systemd expects pings from this process. */
  readonly watchdogIntervalMs: number | undefined;
  /** Variables that were set but ignored, and why. */
  readonly ignored: readonly string[];
}

/** sun_path holds 108 bytes; a file path needs its terminating NUL among them (unix(7)). */
const SUN_PATH_BYTES = 108;

function parseSocket(value: string | undefined, ignored: string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  const bytes = Buffer.byteLength(value);
  // sd_notify(3): "If the first character of $NOTIFY_SOCKET is '@', the string is understood as
  // Linux abstract namespace socket."
  if (value.startsWith('@') && value.length > 1 && bytes <= SUN_PATH_BYTES) return `\0${value.slice(1)}`;
  if (value.startsWith('/') && bytes < SUN_PATH_BYTES) return value;
  ignored.push(`NOTIFY_SOCKET '${value}' is neither an absolute path nor '@name' that fits a unix socket address`);
  return undefined;
}

function parseWatchdog(env: NodeJS.ProcessEnv, pid: number, ignored: string[]): number | undefined {
  const usecText = env['WATCHDOG_USEC'];
  if (usecText === undefined || usecText === '') return undefined;
  const usec = /^[0-9]{1,15}$/.test(usecText) ? Number(usecText) : Number.NaN;
  if (!(usec > 0)) {
    ignored.push(`WATCHDOG_USEC '${usecText}' is not a positive number of microseconds`);
    return undefined;
  }
  // sd_watchdog_enabled(3): when WATCHDOG_PID is set, the watchdog is meant for that process
  // only (a child that inherited the environment must not ping on its parent's behalf).
  const pidText = env['WATCHDOG_PID'];
  if (pidText !== undefined && pidText !== '') {
    if (!/^[0-9]{1,10}$/.test(pidText) || Number(pidText) !== pid) {
      ignored.push(`WATCHDOG_PID ${pidText} is not this process (${pid})`);
      return undefined;
    }
  }
  // "It is recommended that a daemon sends a keep-alive notification message to the service
  // manager every half of the time returned here."
  return Math.max(1, Math.floor(usec / 2000));
}

/** Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as sd_notify(3) and sd_watchdog_enabled(3) do. */
export function parseSystemdEnvironment(env: NodeJS.ProcessEnv, pid: number): SystemdEnvironment {
  const ignored: string[] = [];
  const socket = parseSocket(env['NOTIFY_SOCKET'], ignored);
  const watchdogIntervalMs = parseWatchdog(env, pid, ignored);
  return { socket, watchdogIntervalMs: socket === undefined ? undefined : watchdogIntervalMs, ignored };
}

export interface SystemdNotifierOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly pid: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly send: NotifySend;
}

/** STATUS= is one line: a newline would start a new assignment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

export class SystemdNotifier {
  readonly #environment: SystemdEnvironment;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #send: NotifySend;
  #watchdog: Timer | undefined;
  #started = false;
  #closed = false;
  #failures = 0;

  /** Reads the environment; sends nothing until a method is called. */
  constructor(options: SystemdNotifierOptions) {
    this.#environment = parseSystemdEnvironment(options.env, options.pid);
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#send = options.send;
  }

  /** True under a unit that listens for notifications ($NOTIFY_SOCKET set and usable). */
  get enabled(): boolean {
    return this.#environment.socket !== undefined;
  }

  /** The ping interval, when systemd watches this process. */
  get watchdogIntervalMs(): number | undefined {
    return this.#environment.watchdogIntervalMs;
  }

  /** Starts the watchdog pings (if WATCHDOG_USEC asks for them); idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const reason of this.#environment.ignored) this.#logger.warn({ reason }, 'systemd notification variable ignored');
    const every = this.#environment.watchdogIntervalMs;
    if (every === undefined) return;
    this.#logger.debug({ intervalMs: every }, 'systemd watchdog pings started');
    this.#watchdog = this.#clock.setInterval(() => this.#notify(['WATCHDOG=1']), every);
  }

  /** READY=1: start-up is complete (every listener bound). */
  ready(status?: string): void {
    this.#notify(['READY=1', ...(status === undefined ? [] : [`STATUS=${oneLine(status)}`])]);
  }

  /** STATUS=: one line shown by `systemctl status`. */
  status(text: string): void {
    this.#notify([`STATUS=${oneLine(text)}`]);
  }

  /** RELOADING=1: a configuration reload began; call ready() when it is done. */
  reloading(status?: string): void {
    this.#notify(['RELOADING=1', ...(status === undefined ? [] : [`STATUS=${oneLine(status)}`])]);
  }

  /** STOPPING=1: shutdown (or a drain before it) began. The watchdog keeps pinging until close(). */
  stopping(status?: string): void {
    this.#notify(['STOPPING=1', ...(status === undefined ? [] : [`STATUS=${oneLine(status)}`])]);
  }

  /** Stops the watchdog; later calls send nothing. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchdog?.cancel();
    this.#watchdog = undefined;
  }

  #notify(assignments: readonly string[]): void {
    const socket = this.#environment.socket;
    if (socket === undefined || this.#closed) return;
    try {
      this.#send(socket, Buffer.from(`${assignments.join('\n')}\n`, 'utf8'));
    } catch (error) {
      this.#failures += 1;
      // The first failure is worth an operator's eye (under Type=notify a lost READY=1 ends in a
      // start timeout); the same failure every watchdog period is not.
      const level = this.#failures === 1 ? 'warn' : 'debug';
      this.#logger[level]({ err: error, message: assignments[0], failures: this.#failures }, 'systemd notification not sent');
    }
  }
}
