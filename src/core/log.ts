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

/** An Authorization or Proxy-Authorization header line (RFC 3261 §20.7, §20.28), its value to the line's end. */
const HEADER_LINE = /^([ \t]*(?:proxy-)?authorization[ \t]*:)[^\r\n]*/gim;
/** The same header as a quoted JSON member (a message already serialised into a string). */
const JSON_MEMBER = /("(?:proxy-)?authorization"\s*:\s*")(?:[^"\\]|\\.)*"/gi;

/** `text` with the values of Authorization and Proxy-Authorization headers replaced: a digest response must never reach a log. */
export function redactCredentials(text: string): string {
  if (!/authorization/i.test(text)) return text;
  return text.replace(HEADER_LINE, '$1 [redacted]').replace(JSON_MEMBER, '$1[redacted]"');
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactCredentials(value);
  if (depth > 3 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { type: value.name, message: redactCredentials(value.message), ...('code' in value ? { code: value.code } : {}) };
  if (Buffer.isBuffer(value)) return redactCredentials(value.toString('latin1'));
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /^(proxy-)?authorization$/i.test(k) ? '[redacted]' : redactValue(v, depth + 1)]));
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino({
    level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime,
    // Every field and the message pass the credential filter (issue 17: logs redact Authorization).
    formatters: { log: (object) => redactValue(object, 0) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactCredentials(a) : a)) as Parameters<typeof method>);
      },
    },
  }, destination);
}

export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** A logger that drops everything, for tests and codecs' callers that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
