/**
 * The systemd notifier of a long-running command (`hub`, `run`): src/platform's protocol with
 * src/net's unix datagram sender. Create it first, call start() at once (watchdog pings), ready()
 * once every listener is bound, stopping() when a signal arrives, close() last.
 */
import { componentLogger, realClock, type Clock, type Logger } from '../core/index.js';
import { sendUnixDatagram } from '../net/index.js';
import { SystemdNotifier } from '../platform/index.js';

export function systemdNotifier(env: NodeJS.ProcessEnv, logger: Logger, clock: Clock = realClock): SystemdNotifier {
  return new SystemdNotifier({ env, pid: process.pid, clock, logger: componentLogger(logger, 'systemd'), send: sendUnixDatagram });
}
