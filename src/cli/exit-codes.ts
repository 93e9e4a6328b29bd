/**
 * Process exit codes. Each failure a person can act on has its own code, listed in the
 * README, so scripts (installers, systemd, CI) can tell them apart.
 */
export const EXIT = {
  OK: 0,
  /** An unexpected internal error (a bug: please report it). */
  INTERNAL: 1,
  /** The command line is wrong: unknown command or option, missing value. */
  USAGE: 2,
  /** The configuration file is missing or invalid (the message names the field). */
  CONFIG: 3,
  /** A file named on the command line cannot be read. */
  IO: 4,
  /** A network peer did not answer in time (STUN server, hub, ...). */
  TIMEOUT: 5,
  /** Enrollment: the provisioning URL cannot be reached. */
  ENROLL_UNREACHABLE: 10,
  /** Enrollment: the hub's certificate fingerprint differs from the one given. */
  ENROLL_FINGERPRINT: 11,
  /** Enrollment: the auth key is wrong. */
  ENROLL_WRONG_KEY: 12,
  /** Enrollment: the auth key has expired. */
  ENROLL_EXPIRED_KEY: 13,
  /** Enrollment: the auth key was already used. */
  ENROLL_USED_KEY: 14,
  /** Enrollment: this SBC was revoked by the hub's admin. */
  ENROLL_REVOKED: 15,
  /** Enrollment: too many wrong keys from this address; try again later. */
  ENROLL_LOCKED_OUT: 16,
  /** Enrollment: the person declined to trust the hub's fingerprint. */
  ENROLL_DECLINED: 17,
  /** The agent has no identity in its state directory: run `sbc-agent enroll` first. */
  NOT_ENROLLED: 18,
  /** A listener cannot be bound: the address and port are named, and who holds the port when known. */
  BIND: 19,
  /** Authentication with a SIP peer failed (wrong user or password). */
  SIP_AUTH: 20,
  /** A running agent saw its identity replaced on disk (`enroll --force`): restart it to use the new one. */
  IDENTITY_REPLACED: 21,
  /** The service manager (systemctl, sc.exe) refused to enable or start the agent's service. */
  SERVICE_CONTROL: 22,
  /** `sbc-agent doctor`: at least one check failed (each is printed with what to do). */
  DOCTOR_FAILED: 23,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
