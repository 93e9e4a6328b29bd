/**
 * Registration caching on the agent. Phones refresh often (every 60 s is common, and NAT
 * keep-alive needs it); the agent forwards a REGISTER upstream only when the upstream binding is
 * past half its lifetime, asks the registrar for a longer lifetime than the phone did, and answers
 * the other refreshes itself. So N phones cost one upstream REGISTER per binding per half
 * upstream lifetime instead of N per minute. The agent keeps each binding: AOR, contact, expiry,
 * user agent and digest identity.
 */
import type { Clock } from '../core/index.js';
import { getHeader, parseAuthHeader, parseDeltaSeconds, parseNameAddr, type SipRequest } from '../sip/index.js';
import { headerList } from './sip-edit.js';

export interface Binding {
  readonly aor: string;
  /** The contact URI the phone registered. */
  readonly contact: string;
  /** The agent's contact token (what the registrar sees for this phone). */
  readonly token: string;
  readonly callId: string;
  readonly userAgent: string | undefined;
  /** The digest username of the last authenticated REGISTER. */
  readonly username: string | undefined;
  /** When the phone's own registration runs out (ms, injected clock). */
  expiresAt: number;
  /** When the upstream binding runs out. */
  upstreamExpiresAt: number;
}

export interface RegistrationCacheOptions {
  readonly clock: Clock;
  /** Lifetime asked upstream, seconds. Default 1800. */
  readonly upstreamExpires?: number;
}

/** The Expires a REGISTER asks for (RFC 3261 §10.2.1.1: Contact expires param, else Expires header, else 3600). */
export function requestedExpires(request: SipRequest): number | undefined {
  const contact = headerList(request, 'Contact')[0];
  if (contact === undefined) return undefined;
  if (contact.trim() === '*') return 0;
  try {
    const param = parseNameAddr(contact).params.get('expires');
    if (param !== undefined) return parseDeltaSeconds(param);
  } catch {
    return undefined;
  }
  const header = getHeader(request, 'Expires');
  return header === undefined ? 3600 : parseDeltaSeconds(header.trim());
}

export function digestUsername(request: SipRequest): string | undefined {
  const value = getHeader(request, 'Authorization');
  if (value === undefined) return undefined;
  try {
    return parseAuthHeader(value)[0]?.params.get('username');
  } catch {
    return undefined;
  }
}

export function aorOf(request: SipRequest): string {
  const to = getHeader(request, 'To') ?? '';
  try {
    return parseNameAddr(to).uri;
  } catch {
    return to;
  }
}

export class RegistrationCache {
  readonly upstreamExpires: number;
  readonly #clock: Clock;
  readonly #bindings = new Map<string, Binding>();
  #forwarded = 0;
  #answered = 0;
  #changes = 0;

  constructor(options: RegistrationCacheOptions) {
    this.#clock = options.clock;
    this.upstreamExpires = options.upstreamExpires ?? 1800;
  }

  static key(aor: string, token: string): string {
    return `${aor}\u0000${token}`;
  }

  /**
   * The binding this refresh may be answered from: same AOR, same contact flow, same Call-ID
   * (RFC 3261 §10.2.4: refreshes of one registration keep the Call-ID), not a removal, and the
   * upstream binding still has more than half of its lifetime left.
   */
  answerable(request: SipRequest, token: string): Binding | undefined {
    const expires = requestedExpires(request);
    if (expires === undefined || expires === 0) return undefined;
    const binding = this.#bindings.get(RegistrationCache.key(aorOf(request), token));
    if (binding === undefined || binding.callId !== (getHeader(request, 'Call-ID') ?? '')) return undefined;
    const now = this.#clock.now();
    const remaining = binding.upstreamExpiresAt - now;
    if (remaining < (this.upstreamExpires * 1000) / 2 || remaining < expires * 1000) return undefined;
    binding.expiresAt = now + expires * 1000;
    this.#answered++;
    this.#changes++;
    return binding;
  }

  /** A 2xx came back for a forwarded REGISTER: `granted` seconds upstream, `phoneExpires` for the phone. */
  store(request: SipRequest, contact: string, token: string, granted: number, phoneExpires: number): Binding | undefined {
    const key = RegistrationCache.key(aorOf(request), token);
    this.#forwarded++;
    this.#changes++;
    if (granted === 0 || phoneExpires === 0) {
      this.#bindings.delete(key);
      return undefined;
    }
    const now = this.#clock.now();
    const binding: Binding = {
      aor: aorOf(request),
      contact,
      token,
      callId: getHeader(request, 'Call-ID') ?? '',
      userAgent: getHeader(request, 'User-Agent'),
      username: digestUsername(request),
      expiresAt: now + phoneExpires * 1000,
      upstreamExpiresAt: now + granted * 1000,
    };
    this.#bindings.set(key, binding);
    return binding;
  }

  /**
   * A binding stored before a restart (relayed-file.ts), its times already on this cache's clock.
   * Its upstream binding is as the PBX last granted it; failback re-registers it anyway.
   */
  restore(binding: Binding): void {
    this.#bindings.set(RegistrationCache.key(binding.aor, binding.token), { ...binding });
  }

  /** Grows on every change a restart should keep (a binding stored, removed or its expiry moved). */
  get changes(): number {
    return this.#changes;
  }

  /** Bindings whose phone registration is still valid. */
  list(): Binding[] {
    const now = this.#clock.now();
    for (const [key, b] of this.#bindings) if (b.upstreamExpiresAt <= now) this.#bindings.delete(key);
    return [...this.#bindings.values()].filter((b) => b.expiresAt > now);
  }

  /** Tokens of the bindings whose upstream binding still runs: the registrar may still send to them. */
  tokensInUse(): string[] {
    const now = this.#clock.now();
    return [...this.#bindings.values()].filter((b) => b.upstreamExpiresAt > now).map((b) => b.token);
  }

  counters(): { forwarded: number; answeredLocally: number } {
    return { forwarded: this.#forwarded, answeredLocally: this.#answered };
  }
}
