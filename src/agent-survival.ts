/**
 * Survival on the agent's LAN stacks (`agent.calls: auto`, issue 12). Each LAN keeps its path
 * toward the PBX (AgentCallPath) and gets the local call path beside it on the same stack; a
 * dispatcher (survival/dispatch.ts) sends each phone request to one of them by the mode of the
 * health machine. The phones registered through the tunnel while the PBX was reachable are known
 * to the local side through RelayedPhones: their relayed bindings locate them (extension-to-
 * extension calls by the AOR's user part, as Cisco SRST does) and their REGISTER refreshes from
 * the same AOR and flow are accepted without a digest when the snapshot cannot check one.
 */
import type { Clock, Logger } from './core/index.js';
import { LocalLanPath, type LocalControl } from './agent-local.js';
import { userOf, type LocalCallPath, type PhoneContact, type PhoneLocator } from './b2bua/index.js';
import type { RoutingModel } from './routing/index.js';
import { aorOf, type AgentSbc, type Ha1Lookup } from './sbc/index.js';
import { getHeader, parseNameAddr, getTag, type RequestHandler, type SipRequest, type TransactionSource, type TransportTarget } from './sip/index.js';
import { dispatchTarget, type SurvivalMode } from './survival/index.js';

function sameFlow(target: TransportTarget, source: TransactionSource): boolean {
  return target.transport === source.transport && target.host === source.address && target.port === source.port;
}

/** The user part of an AOR URI (`sip:1001@pbx` → 1001). */
function aorUser(aor: string): string | undefined {
  return userOf(`<${aor}>`);
}

/**
 * The bindings the agent relayed to the PBX (each LAN's RegistrationCache, with the flow its
 * phone registered from) as a PhoneLocator, keyed by the AOR's user part.
 */
export class RelayedPhones implements PhoneLocator {
  readonly #clock: Clock;
  readonly #sbcs: () => readonly AgentSbc[];

  constructor(clock: Clock, sbcs: () => readonly AgentSbc[]) {
    this.#clock = clock;
    this.#sbcs = sbcs;
  }

  /** Every live relayed binding with its phone's flow; expiry in epoch ms (PhoneContact's clock). */
  all(): (PhoneContact & { readonly aor: string })[] {
    const now = this.#clock.now();
    const wall = this.#clock.wallNow();
    return this.#sbcs().flatMap((sbc) => {
      const flows = new Map(sbc.callPath.phones().map((p) => [p.token, p.target]));
      return sbc.registrations.list().flatMap((b) => {
        const target = flows.get(b.token);
        const extension = aorUser(b.aor);
        if (target === undefined || extension === undefined) return [];
        return [{ aor: b.aor, extension, uri: b.contact, target, ...(b.userAgent === undefined ? {} : { userAgent: b.userAgent }), expiresAt: wall + (b.expiresAt - now) }];
      });
    });
  }

  contactsOf(extension: string): readonly PhoneContact[] {
    return this.all().filter((c) => c.extension === extension);
  }

  extensionAt(source: TransactionSource, user: string): string | undefined {
    return this.all().some((c) => c.extension === user && sameFlow(c.target, source)) ? user : undefined;
  }

  registered(): readonly string[] {
    return [...new Set(this.all().map((c) => c.extension))];
  }

  /** A REGISTER of an AOR relayed to the PBX from this very flow (issue 12: "same AOR and source"). */
  learned(request: SipRequest, source: TransactionSource): boolean {
    const aor = aorOf(request);
    return this.all().some((c) => c.aor === aor && sameFlow(c.target, source));
  }
}

/** Phones from the local registrar first, then the relayed bindings of flows it does not have. */
export class CombinedLocator implements PhoneLocator {
  readonly #first: PhoneLocator;
  readonly #second: PhoneLocator;

  constructor(first: PhoneLocator, second: PhoneLocator) {
    this.#first = first;
    this.#second = second;
  }

  contactsOf(extension: string): readonly PhoneContact[] {
    const own = this.#first.contactsOf(extension);
    const key = (t: TransportTarget): string => `${t.transport}|${t.host}|${t.port}`;
    const seen = new Set(own.map((c) => key(c.target)));
    return [...own, ...this.#second.contactsOf(extension).filter((c) => !seen.has(key(c.target)))];
  }

  extensionAt(source: TransactionSource, user: string): string | undefined {
    return this.#first.extensionAt(source, user) ?? this.#second.extensionAt(source, user);
  }

  registered(): readonly string[] {
    return [...new Set([...this.#first.registered(), ...this.#second.registered()])];
  }
}

/**
 * With no routing snapshot (a PBX that exports no model, such as a plain Kamailio): a model whose
 * extensions are the registered users, without credentials (ha1 ''), no rules and no trunks, so
 * decide() rings the dialled user's phones and answers anything else as an unknown number.
 */
export function registrationModel(users: readonly string[]): RoutingModel {
  return {
    version: 0,
    schedule: { timeZone: 'UTC', open: [], breaks: [], holidays: [] },
    departments: {},
    extensions: [...users].sort().map((number) => ({ number, name: number, ha1: '', realm: '', enabled: true, forwarding: {}, exceptions: [], autoStatus: false })),
    ringGroups: [], inbound: [], outbound: [], trunks: [], emergencyNumbers: [], localTrunks: {}, blacklist: [],
  };
}

function inDialog(request: SipRequest): boolean {
  const to = getHeader(request, 'To');
  if (to === undefined) return false;
  try {
    return getTag(parseNameAddr(to)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Puts the dispatcher on `sbc`'s stack: the local call path is built beside the AgentCallPath
 * and each request goes to one of them (survival/dispatch.ts). In-dialog requests, ACKs and
 * CANCELs go to the local side when one of its calls (or BLF subscriptions) owns them, else toward the PBX.
 */
export function dispatchLan(sbc: AgentSbc, control: LocalControl, mode: () => SurvivalMode, logger: Logger): LocalCallPath {
  let local: RequestHandler | undefined;
  const callPath = LocalLanPath.callPath({ onRequest: (handler) => (local = handler) }, control, logger);
  sbc.stack.onRequest((incoming) => {
    const { request } = incoming;
    const target = dispatchTarget(request.method, inDialog(request), mode());
    if (target === 'local' || (target === 'in-dialog' && (control.watchers?.inDialog(incoming) === true || control.calls.inDialog(incoming)))) {
      if (target === 'local') local?.(incoming);
      return;
    }
    sbc.callPath.receive(incoming);
  });
  return callPath;
}

/**
 * The HA1 of an enabled extension of the routing model `current()` holds at the time of asking,
 * by number and realm: what failback answers a challenging registrar with.
 */
export function modelHa1(current: () => RoutingModel | undefined): Ha1Lookup {
  return (username, realm) => current()?.extensions.find((e) => e.number === username && e.realm === realm && e.enabled)?.ha1;
}

/** Failback pace (issue 12: "throttled"): a PBX that just restarted is not flooded. */
export const FAILBACK_REGISTERS_PER_SECOND = 20;
/** How long a failback REGISTER may wait for its answer before it counts as failed. */
export const FAILBACK_ANSWER_TIMEOUT_MS = 5000;

export interface FailbackOutcome {
  readonly sent: number;
  readonly registered: number;
  /** Refused (their status) or unanswered (0). */
  readonly failed: readonly { readonly aor: string; readonly status: number }[];
}

/**
 * Failback: every binding of every LAN's registration cache re-registered upstream through the
 * tunnel, `perSecond` at most, each waiting for its answer (or the timeout). Resolves when all
 * are answered; calls are not touched. With `ha1For` (the routing model's HA1s), a registrar that
 * challenges the replayed credentials is answered once with them (src/sbc/failback-auth.ts).
 */
export async function reRegisterAll(o: { readonly clock: Clock; readonly paths: readonly AgentSbc[]; readonly perSecond?: number; readonly ha1For?: Ha1Lookup }): Promise<FailbackOutcome> {
  const gap = 1000 / (o.perSecond ?? FAILBACK_REGISTERS_PER_SECOND);
  const now = o.clock.now();
  const jobs = o.paths.flatMap((sbc) => sbc.registrations.list().map((b) => ({ sbc, b })));
  const answers: Promise<{ aor: string; status: number }>[] = [];
  let sent = 0;
  for (const [i, { sbc, b }] of jobs.entries()) {
    if (i > 0) await new Promise<void>((resolve) => o.clock.setTimeout(resolve, gap));
    answers.push(new Promise((resolve) => {
      const timer = o.clock.setTimeout(() => resolve({ aor: b.aor, status: 0 }), FAILBACK_ANSWER_TIMEOUT_MS);
      const phoneExpires = Math.max(1, Math.round((b.expiresAt - now) / 1000));
      const ok = sbc.callPath.reRegister(b.token, phoneExpires, (status) => {
        timer.cancel();
        resolve({ aor: b.aor, status });
      }, o.ha1For);
      if (ok) sent++;
      else {
        timer.cancel();
        resolve({ aor: b.aor, status: 0 });
      }
    }));
  }
  const results = await Promise.all(answers);
  const failed = results.filter((r) => r.status < 200 || r.status >= 300);
  return { sent, registered: results.length - failed.length, failed };
}
