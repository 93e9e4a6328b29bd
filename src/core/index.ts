export { ByteReader, ByteWriter } from './bytes.js';
export { ManualClock, realClock, type Clock, type Timer } from './clock.js';
export { TypedEmitter } from './emitter.js';
export { BindError, ByteRangeError, ConfigError, SbcError, UsageError, describeError, errnoCode, type ErrorCode } from './errors.js';
export { isIpLiteral, isIpv4Literal, isIpv6Literal } from './ip-literal.js';
export { componentLogger, createLogger, redactCredentials, silentLogger, type LogLevel, type Logger, type LoggerOptions } from './log.js';
export { SourceRateLimiter, type RateLimitOptions } from './source-rate-limiter.js';
