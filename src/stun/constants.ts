/**
 * STUN numbers as the RFCs name them: RFC 8489 §5 (header), §18 (registries), RFC 5780 §7
 * (NAT behaviour discovery attributes), RFC 3489 §11.2 (classic attributes still seen in the field).
 */

/** RFC 8489 §5: fixed value in bytes 4–7 of every RFC 5389/8489 message. */
export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
/** RFC 8489 §14.7: FINGERPRINT value = CRC-32 XOR this. */
export const FINGERPRINT_XOR = 0x5354554e;

export const METHOD = {
  BINDING: 0x001,
  /** RFC 3489 §11.1 Shared Secret; removed by RFC 5389, still answered (with an error). */
  SHARED_SECRET: 0x002,
} as const;

export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** RFC 8489 §18.3 and RFC 5780 §7; each name maps to its type code. */
export const ATTRIBUTE = {
  'MAPPED-ADDRESS': 0x0001,
  /** RFC 3489 §11.2.2 (deprecated). */
  'RESPONSE-ADDRESS': 0x0002,
  'CHANGE-REQUEST': 0x0003,
  /** RFC 3489 §11.2.4 (classic servers send it; RFC 5780 replaced it with RESPONSE-ORIGIN). */
  'SOURCE-ADDRESS': 0x0004,
  /** RFC 3489 §11.2.5 (replaced by OTHER-ADDRESS). */
  'CHANGED-ADDRESS': 0x0005,
  USERNAME: 0x0006,
  'MESSAGE-INTEGRITY': 0x0008,
  'ERROR-CODE': 0x0009,
  'UNKNOWN-ATTRIBUTES': 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  'MESSAGE-INTEGRITY-SHA256': 0x001c,
  'PASSWORD-ALGORITHM': 0x001d,
  USERHASH: 0x001e,
  'XOR-MAPPED-ADDRESS': 0x0020,
  PRIORITY: 0x0024,
  'USE-CANDIDATE': 0x0025,
  PADDING: 0x0026,
  'RESPONSE-PORT': 0x0027,
  'PASSWORD-ALGORITHMS': 0x8002,
  'ALTERNATE-DOMAIN': 0x8003,
  SOFTWARE: 0x8022,
  'ALTERNATE-SERVER': 0x8023,
  FINGERPRINT: 0x8028,
  'ICE-CONTROLLED': 0x8029,
  'ICE-CONTROLLING': 0x802a,
  'RESPONSE-ORIGIN': 0x802b,
  'OTHER-ADDRESS': 0x802c,
} as const;

export type AttributeName = keyof typeof ATTRIBUTE;

const NAMES = new Map<number, AttributeName>(Object.entries(ATTRIBUTE).map(([name, code]) => [code, name as AttributeName]));

export function attributeName(code: number): AttributeName | undefined {
  return NAMES.get(code);
}

/** RFC 8489 §14: 0x0000–0x7FFF are comprehension-required. */
export function isComprehensionRequired(code: number): boolean {
  return code < 0x8000;
}

/** RFC 8489 §18.4 password algorithms. */
export const PASSWORD_ALGORITHM = { MD5: 0x0001, 'SHA-256': 0x0002 } as const;

/** RFC 8489 §14.8 and RFC 5780 reason phrases used in our responses. */
export const ERROR_REASON: Readonly<Record<number, string>> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthenticated',
  420: 'Unknown Attribute',
  438: 'Stale Nonce',
  500: 'Server Error',
};
