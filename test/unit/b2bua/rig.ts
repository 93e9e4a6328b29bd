/**
 * The B2BUA on a real UDP SIP stack on 127.0.0.1 with test phones around it: a fake PhoneLocator
 * that knows the phones, an in-memory StatusStore, the UDP media anchor on loopback, CDRs and
 * events collected. Timers (ring times) run on one ManualClock shared by every stack.
 */
import { ManualClock } from '../../../src/core/index.js';
import { PortPool } from '../../../src/media/index.js';
import { bindUdp } from '../../../src/net/index.js';
import type { CdrRecord, Extension, ExtensionStatus, RoutingModel, Schedule } from '../../../src/routing/index.js';
import { SipStack, SipTransportLayer, buildResponse, getHeader, type ServerRequest } from '../../../src/sip/index.js';
import { B2bua, UdpMediaAnchor, type PromptLibrary, type B2buaEvent, type CallOrigin, type PhoneContact, type PhoneLocator, type StatusStore } from '../../../src/b2bua/index.js';
import type { VoicemailStore } from '../../../src/voicemail/index.js';
import { TestPhone } from './phone.js';

/** Mon 2 Mar 2026 10:00 in Paris. */
export const NOW = Date.UTC(2026, 2, 2, 9, 0);

const ALWAYS: Schedule = { timeZone: 'Europe/Paris', open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 24 * 60 }], breaks: [], holidays: [] };

export function ext(number: string, more: Partial<Extension> = {}): Extension {
  return { number, name: `Extension ${number}`, ha1: '0'.repeat(32), realm: 'pbx.test', enabled: true, forwarding: {}, exceptions: [], autoStatus: false, ...more };
}

export function model(more: Partial<RoutingModel> = {}): RoutingModel {
  return {
    version: 1, schedule: ALWAYS, departments: {}, extensions: [], ringGroups: [], inbound: [], outbound: [], trunks: [],
    emergencyNumbers: [], localTrunks: {}, blacklist: [], ...more,
  };
}

export class MemoryStatuses implements StatusStore {
  readonly values: Record<string, ExtensionStatus> = {};
  all(): Readonly<Record<string, ExtensionStatus>> {
    return { ...this.values };
  }
  set(extension: string, status: ExtensionStatus): void {
    this.values[extension] = status;
  }
}

/** Waits (real time) until `check` holds; throws naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets sockets deliver what is in flight (real time). */
export const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Rig {
  readonly clock: ManualClock;
  readonly b2bua: B2bua;
  readonly stack: SipStack;
  readonly port: number;
  readonly phones: Map<string, TestPhone[]>;
  readonly trunks: Map<string, TestPhone>;
  readonly statuses: MemoryStatuses;
  readonly cdrs: CdrRecord[];
  readonly events: B2buaEvent[];
  /** The relay ports of the media anchor. */
  readonly pool: PortPool;
  /** The first phone of an extension. */
  phone(extension: string): TestPhone;
  /** Requests the B2BUA's TU saw and nobody handled (answered 481). */
  readonly unhandled: string[];
  close(): Promise<void>;
}

export interface RigOptions {
  /** Phones per extension (default one each). */
  readonly phones: Readonly<Record<string, number>>;
  /** Test phones acting as trunks, by trunk name: their ports go into the model's trunks. */
  readonly trunks?: readonly string[];
  readonly model: (trunkPorts: Readonly<Record<string, number>>) => RoutingModel;
  /** No routing snapshot has arrived yet. */
  readonly noSnapshot?: boolean;
  /** Whether the PBX answers (default false: the local mode of issue 11). */
  readonly pbxReachable?: boolean;
  /** IVR prompts (default: the built-in tone for every prompt). */
  readonly prompts?: PromptLibrary;
  /** Voicemail boxes (default none: voicemail answers 480). */
  readonly voicemail?: VoicemailStore;
  /** The agent's music on hold (default none). */
  readonly musicOnHold?: Int16Array;
}

export async function rig(options: RigOptions): Promise<Rig> {
  const clock = new ManualClock(0, NOW);
  const phones = new Map<string, TestPhone[]>();
  for (const [extension, count] of Object.entries(options.phones)) {
    const list: TestPhone[] = [];
    for (let i = 0; i < count; i++) list.push(await TestPhone.open(extension, clock));
    phones.set(extension, list);
  }
  const trunks = new Map<string, TestPhone>();
  for (const name of options.trunks ?? []) trunks.set(name, await TestPhone.open(`trunk-${name}`, clock));
  const routing = options.model(Object.fromEntries([...trunks].map(([name, p]) => [name, p.port])));

  const locator: PhoneLocator = {
    contactsOf: (extension) => (phones.get(extension) ?? []).map((p): PhoneContact => ({
      extension, uri: `sip:${extension}@127.0.0.1:${p.port}`, target: { transport: 'UDP', host: '127.0.0.1', port: p.port }, expiresAt: NOW + 3600_000,
    })),
    extensionAt: (source) => [...phones].find(([, list]) => list.some((p) => p.port === source.port))?.[0],
    registered: () => [...phones.keys()],
  };
  const udp = await bindUdp({ address: '127.0.0.1', port: 0 });
  const stack = new SipStack({ clock, transport: new SipTransportLayer({ clock, udp }) });
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const pool = new PortPool({ min: base, max: base + 199 });
  const media = new UdpMediaAnchor({ clock, pool, bind: (port) => bindUdp({ address: '127.0.0.1', port }), address: '127.0.0.1' });
  const statuses = new MemoryStatuses();
  const cdrs: CdrRecord[] = [];
  const events: B2buaEvent[] = [];
  const b2bua = new B2bua({
    stack, clock, locator, routing: () => (options.noSnapshot === true ? undefined : routing), statuses, agent: 'branch-1', pbxReachable: () => options.pbxReachable ?? false, media,
    survival: () => true, ...(options.prompts === undefined ? {} : { prompts: options.prompts }),
    ...(options.voicemail === undefined ? {} : { voicemail: options.voicemail }),
    ...(options.musicOnHold === undefined ? {} : { musicOnHold: options.musicOnHold }), onCdr: (cdr) => cdrs.push(cdr), onEvent: (e) => events.push(e),
  });
  const unhandled: string[] = [];
  stack.onRequest((incoming: ServerRequest) => {
    const { request } = incoming;
    const hasToTag = /;tag=/.test(getHeader(request, 'To') ?? '');
    if (request.method === 'INVITE' && !hasToTag) {
      const trunk = [...trunks].find(([, p]) => p.port === incoming.source.port)?.[0];
      const extension = locator.extensionAt(incoming.source, '');
      const origin: CallOrigin = trunk !== undefined ? { kind: 'trunk', name: trunk } : { kind: 'extension', number: extension ?? '' };
      b2bua.invite(incoming, origin);
      return;
    }
    if (b2bua.inDialog(incoming)) return;
    unhandled.push(request.method);
    if (request.method !== 'ACK') incoming.respond(buildResponse(request, 481));
  });
  stack.start();
  const port = Number(stack.hostPort('UDP').split(':')[1]);
  return {
    clock, b2bua, stack, port, phones, trunks, statuses, cdrs, events, unhandled, pool,
    phone: (extension) => {
      const p = phones.get(extension)?.[0];
      if (p === undefined) throw new Error(`no phone ${extension}`);
      return p;
    },
    close: async () => {
      await b2bua.close();
      await stack.close();
      for (const list of phones.values()) for (const p of list) await p.close();
      for (const p of trunks.values()) await p.close();
    },
  };
}
