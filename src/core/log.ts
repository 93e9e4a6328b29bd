/**
 * Logging: pino JSON lines, one child logger per component (`component` field).
 * Protocol code receives a Logger; it never creates one.
 */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level?: LogLevel;
  /** A writable destination; defaults to stderr so stdout stays for command output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** A logger that drops everything, for tests and codecs' callers that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
