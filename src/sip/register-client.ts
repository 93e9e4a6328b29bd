/**
 * A REGISTER client (RFC 3261 §10.2) with digest authentication (§22, RFC 7616): one Call-ID
 * for every registration of the binding, CSeq counting up (§10.2.4), a 401/407 answered once
 * with credentials, 423 answered with the registrar's Min-Expires (§10.2.8), a refresh before
 * the binding expires, and unregister with Expires: 0 (§10.2.2).
 */
import { SbcError, type Clock, type Timer } from '../core/index.js';
import { AuthFailure, DigestClient, withCredentials } from './auth/index.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from './message.js';
import { randomToken } from './random-token.js';
import type { SipEndpoint } from './stack-types.js';
import type { SipTransportName, TransportTarget } from './transport/index.js';

export interface RegisterClientOptions {
  readonly endpoint: SipEndpoint;
  /** Where REGISTER is sent (the registrar or an outbound proxy). */
  readonly target: TransportTarget;
  /** The Request-URI: the registrar's domain, e.g. `sip:pbx.test` (§10.2). */
  readonly registrarUri: string;
  /** The address of record, e.g. `sip:1001@pbx.test` (From and To). */
  readonly aor: string;
  readonly username: string;
  /** The password, or `ha1` instead (MD5(username:realm:password), see DigestClient). */
  readonly password?: string;
  readonly ha1?: string;
  /** Requested binding lifetime in seconds. Default 300. */
  readonly expires?: number;
  /** Refresh when this share of the granted lifetime has passed. Default 0.8. */
  readonly refreshRatio?: number;
  readonly userAgent?: string;
}

/** The registrar refused the REGISTER with a final status other than an auth challenge. */
export class RegisterError extends SbcError {
  readonly status: number;

  constructor(status: number, reason: string) {
    super('SBC_ERR_SIP_TRANSACTION', `REGISTER refused: ${status} ${reason}`);
    this.status = status;
  }
}

export interface Registration {
  /** Seconds the registrar granted. */
  readonly expires: number;
  /** The bindings the 200 listed (§10.3 step 8). */
  readonly contacts: readonly string[];
}

export type RegisterListener = (event: { type: 'registered'; registration: Registration } | { type: 'failed'; error: unknown }) => void;

const MAX_ATTEMPTS = 4;

export class RegisterClient {
  readonly #o: RegisterClientOptions;
  readonly #clock: Clock;
  readonly #digest: DigestClient;
  readonly #callId = `${randomToken(10, 'hex')}@sbc-agent`;
  readonly #fromTag = randomToken(6, 'hex');
  #cseq = 0;
  #expires: number;
  #refreshTimer: Timer | undefined;
  #listener: RegisterListener = () => {};
  #closed = false;

  constructor(options: RegisterClientOptions) {
    this.#o = options;
    this.#clock = options.endpoint.clock;
    this.#digest = new DigestClient({
      username: options.username,
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.ha1 === undefined ? {} : { ha1: options.ha1 }),
    });
    this.#expires = options.expires ?? 300;
  }

  /** Told of each refresh result (the first registration is the promise of register()). */
  onEvent(listener: RegisterListener): void {
    this.#listener = listener;
  }

  /**
   * Registers and keeps the binding refreshed. Rejects with AuthFailure (wrong credentials),
   * RegisterError (another final status), SipTimeoutError or SipTransportError.
   */
  async register(): Promise<Registration> {
    const registration = await this.#exchange(this.#expires);
    this.#scheduleRefresh(registration.expires);
    return registration;
  }

  /** Removes our binding (Expires: 0) and stops refreshing. */
  async unregister(): Promise<void> {
    this.#refreshTimer?.cancel();
    this.#refreshTimer = undefined;
    await this.#exchange(0);
  }

  /** Stops refreshing; does not unregister. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#refreshTimer?.cancel();
    this.#refreshTimer = undefined;
  }

  #scheduleRefresh(expires: number): void {
    if (this.#closed || expires <= 0) return;
    const ratio = this.#o.refreshRatio ?? 0.8;
    this.#refreshTimer = this.#clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      this.#exchange(this.#expires).then(
        (registration) => {
          this.#listener({ type: 'registered', registration });
          this.#scheduleRefresh(registration.expires);
        },
        (error: unknown) => this.#listener({ type: 'failed', error }),
      );
    }, Math.max(1000, expires * 1000 * ratio));
  }

  #contact(transport: SipTransportName): string {
    const user = /^sips?:([^@;]+)@/.exec(this.#o.aor)?.[1] ?? this.#o.username;
    return `<sip:${user}@${this.#o.endpoint.hostPort(transport)};transport=${transport.toLowerCase()}>`;
  }

  #build(expires: number, credentials: SipHeader | undefined): SipRequest {
    const transport = this.#o.target.transport;
    const headers: SipHeader[] = [
      { name: 'Via', value: this.#o.endpoint.newVia(transport) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<${this.#o.aor}>;tag=${this.#fromTag}` },
      { name: 'To', value: `<${this.#o.aor}>` },
      { name: 'Call-ID', value: this.#callId },
      { name: 'CSeq', value: `${++this.#cseq} REGISTER` },
      { name: 'Contact', value: this.#contact(transport) },
      { name: 'Expires', value: String(expires) },
      { name: 'User-Agent', value: this.#o.userAgent ?? 'sbc-agent' },
      { name: 'Content-Length', value: '0' },
    ];
    const request: SipRequest = { kind: 'request', method: 'REGISTER', uri: this.#o.registrarUri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
    return credentials === undefined ? request : withCredentials(request, credentials);
  }

  async #exchange(expires: number): Promise<Registration> {
    let credentials: SipHeader | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const request = this.#build(expires, credentials);
      const response = await this.#o.endpoint.request(request, this.#o.target);
      if (response.status >= 200 && response.status < 300) {
        this.#digest.succeeded();
        return this.#registration(response, expires);
      }
      if (response.status === 401 || response.status === 407) {
        // Throws AuthFailure when the challenge comes back after our credentials (wrong password).
        credentials = this.#digest.answer(response, { method: 'REGISTER', uri: this.#o.registrarUri });
        continue;
      }
      if (response.status === 423) {
        const min = Number(getHeader(response, 'Min-Expires'));
        if (!Number.isInteger(min) || min <= expires) throw new RegisterError(response.status, response.reason);
        expires = min;
        this.#expires = min;
        continue;
      }
      throw new RegisterError(response.status, response.reason);
    }
    throw new AuthFailure('rejected', undefined, `REGISTER not accepted after ${MAX_ATTEMPTS} attempts`);
  }

  /** §10.2.4: the lifetime is the expires param of our Contact in the 200, else its Expires header. */
  #registration(response: SipResponse, requested: number): Registration {
    const contacts = getHeaders(response, 'Contact');
    const ours = this.#contact(this.#o.target.transport).slice(1, -1).toLowerCase();
    const mine = contacts.find((c) => c.toLowerCase().includes(ours));
    const fromParam = mine === undefined ? undefined : /;\s*expires\s*=\s*(\d+)/i.exec(mine)?.[1];
    const header = getHeader(response, 'Expires');
    const expires = Number(fromParam ?? header ?? requested);
    return { expires: Number.isFinite(expires) ? expires : requested, contacts };
  }
}

