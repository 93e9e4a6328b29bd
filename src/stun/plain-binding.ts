/**
 * The answer to the most common STUN message, written straight into its bytes: an RFC 8489
 * Binding request with no attributes (what ICE agents, phones and `stun` probes send when no
 * credentials are used). The general path (decodeStun, StunResponder.decide, encodeStun) builds
 * objects for the request, the attribute list and the response; for this one shape the response
 * is always the same three parts — the header with the request's transaction ID (§6.3.3),
 * XOR-MAPPED-ADDRESS of the source (§14.2), and SOFTWARE (§14.14), which is encoded once here —
 * so it is copied and XORed into one buffer. Pure: bytes in, bytes out.
 */
import { addressBytes, type TransportAddress } from './attributes.js';
import { ATTRIBUTE, HEADER_LENGTH, MAGIC_COOKIE, METHOD } from './constants.js';
import { encodeStun, messageType } from './message.js';

const BINDING_REQUEST = messageType(METHOD.BINDING, 'request');
const BINDING_SUCCESS = messageType(METHOD.BINDING, 'success');
const XOR_PORT = MAGIC_COOKIE >>> 16;

/**
 * Whether `raw` is an RFC 8489 Binding request without attributes: 20 bytes, type 0x0001, length
 * 0, the magic cookie. Anything else (attributes, RFC 3489 without the cookie) takes the general path.
 */
export function isPlainBindingRequest(raw: Buffer): boolean {
  return raw.length === HEADER_LENGTH && raw.readUInt16BE(0) === BINDING_REQUEST && raw.readUInt16BE(2) === 0 && raw.readUInt32BE(4) === MAGIC_COOKIE;
}

export class PlainBindingResponder {
  /** SOFTWARE as encoded attribute bytes (type, length, value, padding), or empty. */
  readonly #software: Buffer;
  /** The source address of the last request as bytes: most requests come from few addresses. */
  #lastAddress = '';
  #lastBytes: Buffer = Buffer.alloc(0);

  constructor(software: string | undefined) {
    this.#software = software === undefined
      ? Buffer.alloc(0)
      : Buffer.from(encodeStun({ method: METHOD.BINDING, messageClass: 'success', transactionId: Buffer.alloc(12), attributes: [{ type: 'SOFTWARE', value: software }] }).subarray(HEADER_LENGTH));
  }

  /**
   * The Binding success response to `request` (isPlainBindingRequest must hold) from `source`:
   * byte for byte what the general path encodes for the same request. Throws ByteRangeError
   * when `source.address` is not an address of its family.
   */
  respond(request: Buffer, source: TransportAddress): Buffer {
    const address = this.#addressBytes(source);
    const mappedLength = 4 + address.length;
    const out = Buffer.allocUnsafe(HEADER_LENGTH + 4 + mappedLength + this.#software.length);
    out.writeUInt16BE(BINDING_SUCCESS, 0);
    out.writeUInt16BE(4 + mappedLength + this.#software.length, 2);
    // Cookie and transaction ID: bytes 4..20 of the request, as they are (§6.3.3).
    request.copy(out, 4, 4, HEADER_LENGTH);
    let at = HEADER_LENGTH;
    out.writeUInt16BE(ATTRIBUTE['XOR-MAPPED-ADDRESS'], at);
    out.writeUInt16BE(mappedLength, at + 2);
    out[at + 4] = 0;
    out[at + 5] = address.length === 4 ? 0x01 : 0x02;
    out.writeUInt16BE(source.port ^ XOR_PORT, at + 6);
    at += 8;
    // §14.2: X-Address is the address XOR the cookie (IPv4), XOR the cookie ‖ transaction ID (IPv6),
    // which are bytes 4.. of the request.
    for (let i = 0; i < address.length; i++) out[at + i] = (address[i] ?? 0) ^ (request[4 + i] ?? 0);
    at += address.length;
    this.#software.copy(out, at);
    return out;
  }

  #addressBytes(source: TransportAddress): Buffer {
    const key = source.family === 'IPv4' ? source.address : `[${source.address}]`;
    if (key !== this.#lastAddress) {
      this.#lastBytes = addressBytes(source);
      this.#lastAddress = key;
    }
    return this.#lastBytes;
  }
}
