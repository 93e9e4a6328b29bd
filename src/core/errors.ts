/**
 * Errors with stable codes. Logs, alerts and tests match on `code`, never on message text.
 * Each protocol error maps to a wire reaction (a SIP status, a STUN error, a tunnel go-away).
 */

export type ErrorCode =
  | 'SBC_ERR_BYTES_RANGE'
  | 'SBC_ERR_CONFIG'
  | 'SBC_ERR_SIP_PARSE'
  | 'SBC_ERR_SDP_PARSE'
  | 'SBC_ERR_RTP_PARSE'
  | 'SBC_ERR_MEDIA_PORTS'
  | 'SBC_ERR_WAV_FORMAT'
  | 'SBC_ERR_SIP_FRAMING'
  | 'SBC_ERR_SIP_SERIALIZE'
  | 'SBC_ERR_SIP_TRANSPORT'
  | 'SBC_ERR_SIP_TRANSACTION'
  | 'SBC_ERR_SIP_AUTH'
  | 'SBC_ERR_STUN_DECODE'
  | 'SBC_ERR_STUN_TIMEOUT'
  | 'SBC_ERR_TUNNEL_PROTOCOL'
  | 'SBC_ERR_ENROLL'
  | 'SBC_ERR_PROVISIONING_FETCH'
  | 'SBC_ERR_CDR'
  | 'SBC_ERR_USAGE'
  | 'SBC_ERR_STATE'
  | 'SBC_ERR_BIND'
  | 'SBC_ERR_UNIX_DATAGRAM'
  | 'SBC_ERR_SERVICE'
  | 'SBC_ERR_ADMIN_REQUEST'
  | 'SBC_ERR_SRTP'
  | 'SBC_ERR_DTMF_INFO'
  | 'SBC_ERR_VOICEMAIL';

export class SbcError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A read past the end of a buffer, or a value out of range for its field. */
export class ByteRangeError extends SbcError {
  readonly at: number;

  constructor(message: string, at: number) {
    super('SBC_ERR_BYTES_RANGE', message);
    this.at = at;
  }
}

/** A configuration value that does not validate; `path` names the field, e.g. `sip.timers.t1`. */
export class ConfigError extends SbcError {
  readonly path: string;

  constructor(path: string, message: string) {
    super('SBC_ERR_CONFIG', `${path}: ${message}`);
    this.path = path;
  }
}

/** A command line that cannot be carried out as written. */
export class UsageError extends SbcError {
  constructor(message: string) {
    super('SBC_ERR_USAGE', message);
  }
}

/** Narrows an unknown thrown value to a message for logs. */
export function describeError(error: unknown): string {
  if (error instanceof SbcError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A listener that cannot be bound: the address and port, and who holds the port when known. */
export class BindError extends SbcError {
  constructor(
    readonly protocol: 'udp' | 'tcp',
    readonly address: string,
    readonly port: number,
    readonly reason: string,
    readonly holder: string | undefined,
    options?: { cause?: unknown },
  ) {
    const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
    super('SBC_ERR_BIND', `cannot listen on ${protocol} ${where}: ${reason}${holder === undefined ? '' : ` (held by ${holder})`}`, options);
  }
}

/** The errno name (`ENOENT`, `EADDRINUSE`...) of a Node system error, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
