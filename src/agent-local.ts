/**
 * The agent's "local" call-control mode (agent.calls: local, issue 11): the agent is the registrar
 * and call controller of its phones, with the routing model the hub replicates. One LocalControl
 * per agent (the registrar, its digest checks and its registrations.json, the call handler) and,
 * per LAN, a LocalLanPath: that LAN's SIP stack with a LocalCallPath on it. The tunnel, plug-and-
 * play, STUN and replication stay as they are. The B2BUA runs on the first LAN's stack with media
 * on that LAN's address (startCalls), with the snapshot's register trunks of this agent registering
 * from the same stack; until it runs, established calls get 503 (NO_CALL_HANDLER).
 * Each call's CDR is logged and handed to `onCdr` (the agent's CDR buffer, uploaded to the hub).
 */
import { join } from 'node:path';
import { componentLogger, describeError, type Clock, type Logger, type Timer } from './core/index.js';
import {
  FilePromptLibrary, PROMPTS_FOLDER,
  B2bua, DialogWatchers, MailboxLamps, FileStatusStore, LocalCallPath, LocalRegistrar, NO_CALL_HANDLER, PhoneAuth, REGISTRATIONS_FILE, RegistrationsFile, TrunkRegistrations, UdpMediaAnchor, type B2buaEvent, type B2buaOptions, type CallHandler, type DialogWatchersOptions, type TrunkRegistrationsOptions, type LocalBinding, type LocalCallPathOptions, type LocalRegistrarOptions, type PhoneLocator,
} from './b2bua/index.js';
import { PortPool, type PortRange } from './media/index.js';
import { bindUdp } from './net/index.js';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from './platform/index.js';
import type { CdrRecord, RoutingModel } from './routing/index.js';
import { VoicemailStore } from './voicemail/index.js';
import { openStack, type CallReport, type SipListenOptions } from './sbc/index.js';
import type { SipStack } from './sip/index.js';

/** Manual extension statuses (dial codes), beside routing.json and registrations.json. */
export const STATUSES_FILE = 'statuses.json';

export interface LocalControlOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** `<state>/agent`: registrations.json goes there. */
  readonly dir: string;
  readonly routing: () => RoutingModel | undefined;
  /** Where each call's CDR goes (the agent's buffer, uploaded to the hub); default: logged only. */
  readonly onCdr?: (record: CdrRecord) => void;
  /** Told of each B2BUA event after it is logged (the admin event stream). */
  readonly onEvent?: (event: B2buaEvent) => void;
  /** Told of each register trunk's registration result (the admin event stream). */
  readonly onTrunk?: TrunkRegistrationsOptions['onResult'];
  /** Survival (`agent.calls: auto`, issue 12): where the B2BUA and the call path find phones, beside the registrar. */
  readonly locator?: (registrar: LocalRegistrar) => PhoneLocator;
  /** Survival: REGISTER refreshes of bindings relayed to the PBX, accepted without a digest (registrar.ts). */
  readonly learnedThroughPbx?: LocalRegistrarOptions['learnedThroughPbx'];
  /** CDR.survival: calls routed while the branch is in survival. */
  readonly survival?: () => boolean;
  /** A flow many phones share (the hub's built-in PBX: its call path's socket), B2buaOptions.sharedFlow. */
  readonly sharedFlow?: B2buaOptions['sharedFlow'];
  /** Survival: the last message-summary the PBX sent for a mailbox, for MWI SUBSCRIBEs (dialog-watchers.ts). */
  readonly messageSummary?: DialogWatchersOptions['messageSummary'];
  /** `agent.media.musicOnHold`, read at start: held and parked calls and queue callers hear it. */
  readonly musicOnHold?: Int16Array;
}

/**
 * How often the routing snapshot is looked at for register trunks that appeared, changed or went:
 * the snapshot has no change event here, and update() touches only the trunks that differ.
 */
const TRUNK_LOOK_MS = 5_000;

/** A local registration as `status` shows it. */
export interface LocalRegistrationRow {
  readonly extension: string;
  readonly contact: string;
  /** `UDP 192.168.1.21:5060`: the flow the phone registered from. */
  readonly source: string;
  readonly userAgent: string | null;
  readonly expiresInS: number;
}

export class LocalControl {
  readonly registrar: LocalRegistrar;
  /** Where phones are found: the registrar, or (survival) the registrar and the bindings relayed to the PBX. */
  readonly locator: PhoneLocator;
  readonly auth: PhoneAuth;
  readonly routing: () => RoutingModel | undefined;
  /** The call handler of every LAN's call path (the B2BUA once started). */
  calls: CallHandler = NO_CALL_HANDLER;
  /** BLF: the dialog-state notifier of the B2BUA's calls (RFC 4235), once the B2BUA runs. */
  watchers: DialogWatchers | undefined;
  readonly #o: LocalControlOptions;
  readonly #clock: Clock;
  #b2bua: B2bua | undefined;
  #trunks: TrunkRegistrations | undefined;
  #trunkTimer: Timer | undefined;
  #closed: Promise<void> | undefined;
  #lamps: MailboxLamps | undefined;

  private constructor(o: LocalControlOptions, registrar: LocalRegistrar, auth: PhoneAuth) {
    this.registrar = registrar;
    this.locator = o.locator?.(registrar) ?? registrar;
    this.auth = auth;
    this.routing = o.routing;
    this.#o = o;
    this.#clock = o.clock;
  }

  /** The B2BUA, once started. */
  get b2bua(): B2bua | undefined {
    return this.#b2bua;
  }

  /**
   * Starts the B2BUA on `stack` (the first LAN's), with media relayed on `mediaAddress` from
   * `mediaPorts` and manual statuses in `<dir>/statuses.json`. Once only; later calls do nothing.
   */
  async startCalls(o: { readonly stack: SipStack; readonly mediaAddress: string; readonly mediaPorts: PortRange; readonly sbcName: string }): Promise<void> {
    if (this.#b2bua !== undefined) return;
    const logger = componentLogger(this.#o.logger, 'b2bua');
    const statuses = await FileStatusStore.open(privateFile(join(this.#o.dir, STATUSES_FILE)), (error) => logger.warn({ err: describeError(error) }, 'cannot store the extension statuses'));
    const media = new UdpMediaAnchor({
      clock: this.#clock,
      pool: new PortPool(o.mediaPorts),
      bind: (port) => bindUdp({ address: o.mediaAddress, port, receiveBufferSize: 1 << 20 }),
      address: o.mediaAddress,
      ...(this.#o.musicOnHold === undefined ? {} : { musicOnHold: this.#o.musicOnHold }),
    });
    // Voicemail boxes in `<dir>/voicemail` (src/voicemail); messages are not queued for upload yet.
    const voicemail = await VoicemailStore.open({ dir: join(this.#o.dir, 'voicemail'), clock: this.#clock });
    this.#b2bua = new B2bua({
      stack: o.stack,
      clock: this.#clock,
      locator: this.locator,
      routing: this.routing,
      statuses,
      agent: o.sbcName,
      // Local mode: the agent is the call controller; the PBX is not asked (issue 12 switches this with survival).
      pbxReachable: () => false,
      ...(this.#o.survival === undefined ? {} : { survival: this.#o.survival }),
      ...(this.#o.sharedFlow === undefined ? {} : { sharedFlow: this.#o.sharedFlow }),
      media,
      // IVR prompts: WAV files in the prompts folder of the agent's state dir.
      prompts: new FilePromptLibrary(join(this.#o.dir, PROMPTS_FOLDER), logger),
      ...(this.#o.musicOnHold === undefined ? {} : { musicOnHold: this.#o.musicOnHold }),
      voicemail,
      onCdr: (cdr) => {
        logger.info({ cdr }, 'call detail record');
        this.#o.onCdr?.(cdr);
      },
      onEvent: (event) => {
        logger.info({ event }, 'b2bua event');
        this.#o.onEvent?.(event);
      },
      onDialogsChanged: () => this.watchers?.look(),
      logger,
    });
    this.calls = this.#b2bua;
    const b2bua = this.#b2bua;
    // MWI subscriptions see the agent's own boxes too (mailbox-lamps.ts), in local mode and in survival.
    const lamps = new MailboxLamps({ store: voicemail, domain: o.stack.hostPort('UDP'), changed: (extension) => this.watchers?.mailboxChanged(extension) });
    this.#lamps = lamps;
    const pbxSummary = this.#o.messageSummary;
    this.watchers = new DialogWatchers({
      stack: o.stack,
      clock: this.#clock,
      dialogs: () => b2bua.extensionDialogs(),
      // Parking orbits too: their lamp shows a parked call (b2bua/park-runner.ts orbitDialog).
      watchable: (extension) => this.routing()?.extensions.some((e) => e.number === extension && e.enabled) === true || this.routing()?.parking?.orbits.includes(extension) === true,
      // A watcher is a phone registered from that flow (the same trust as for its calls).
      admit: (source, user) => user !== undefined && this.locator.extensionAt(source, user) !== undefined,
      messageSummary: (user) => lamps.summary(user, pbxSummary?.(user)),
      logger: componentLogger(this.#o.logger, 'blf'),
    });
    // The register trunks of this agent (the B2BUA's wiring, b2bua.ts), on the same stack.
    const trunks = new TrunkRegistrations({ stack: o.stack, agent: o.sbcName, logger, ...(this.#o.onTrunk === undefined ? {} : { onResult: this.#o.onTrunk }) });
    this.#trunks = trunks;
    trunks.update(this.routing());
    this.#trunkTimer = this.#clock.setInterval(() => trunks.update(this.routing()), TRUNK_LOOK_MS);
  }

  /** Calls the B2BUA runs now. */
  activeCalls(): number {
    return this.#b2bua?.calls().length ?? 0;
  }

  /** Ends the calls (BYE/CANCEL) while the stacks are still open; new calls get 503 after this. */
  async endCalls(): Promise<void> {
    this.watchers?.close();
    this.#lamps?.close();
    await this.#b2bua?.close();
    this.#trunkTimer?.cancel();
    this.#trunkTimer = undefined;
    await this.#trunks?.close();
  }

  /** Reads the stored bindings back (a broken file is logged, and the phones register again). */
  static async open(o: LocalControlOptions): Promise<LocalControl> {
    const logger = componentLogger(o.logger, 'registrar');
    const file = new RegistrationsFile(privateFile(join(o.dir, REGISTRATIONS_FILE)));
    let initial: LocalBinding[] = [];
    try {
      initial = await file.load();
    } catch (error) {
      logger.warn({ path: file.path, err: describeError(error) }, 'stored registrations ignored');
    }
    const auth = new PhoneAuth({ clock: o.clock, routing: o.routing });
    const registrar = new LocalRegistrar({
      clock: o.clock, routing: o.routing, auth, store: file, initial, logger, ...(o.learnedThroughPbx === undefined ? {} : { learnedThroughPbx: o.learnedThroughPbx }),
    });
    if (initial.length > 0) logger.info({ bindings: registrar.list().length, path: file.path }, 'registrations loaded from disk');
    return new LocalControl(o, registrar, auth);
  }

  rows(): LocalRegistrationRow[] {
    const now = this.#clock.wallNow();
    return this.registrar.list().map((b) => ({
      extension: b.extension,
      contact: b.uri,
      source: `${b.target.transport} ${b.target.host}:${b.target.port}`,
      userAgent: b.userAgent ?? null,
      expiresInS: Math.round((b.expiresAt - now) / 1000),
    }));
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.endCalls();
      await this.registrar.close();
    })();
    return this.#closed;
  }
}

/** A state file read whole and replaced atomically, owner-only (0600). */
function privateFile(path: string): { readonly path: string; read(): Promise<Buffer | undefined>; write(text: string): Promise<void> } {
  return { path, read: () => readFileIfExists(path), write: (text) => writeFileAtomic(path, text, { mode: PRIVATE_FILE_MODE }) };
}

/** One LAN in local mode: its SIP stack and the local call path on it. */
export class LocalLanPath {
  readonly stack: SipStack;
  readonly callPath: LocalCallPath;

  private constructor(stack: SipStack, callPath: LocalCallPath) {
    this.stack = stack;
    this.callPath = callPath;
  }

  static async start(o: { readonly clock: Clock; readonly logger: Logger; readonly sip: SipListenOptions; readonly control: LocalControl }): Promise<LocalLanPath> {
    const stack = await openStack(o.clock, componentLogger(o.logger, 'local'), o.sip);
    return new LocalLanPath(stack, LocalLanPath.callPath(stack, o.control, o.logger));
  }

  /** The local call path for `stack`'s requests (`stack` may be a dispatcher's stand-in: survival). */
  static callPath(stack: LocalCallPathOptions['stack'], control: LocalControl, logger0: Logger): LocalCallPath {
    const logger = componentLogger(logger0, 'local');
    return new LocalCallPath({
      stack,
      callers: control.locator,
      registrar: control.registrar,
      auth: control.auth,
      // Read at each call: the B2BUA may be set after the paths opened.
      calls: { invite: (incoming, origin) => control.calls.invite(incoming, origin), inDialog: (incoming) => control.calls.inDialog(incoming) },
      subscriptions: () => control.watchers,
      routing: control.routing,
      logger,
    });
  }

  /** Calls are the B2BUA's; its media report joins here once it is wired. */
  calls(): Promise<CallReport> {
    return Promise.resolve({ side: 'agent', legs: [] });
  }

  async close(): Promise<void> {
    this.callPath.close();
    await this.stack.close();
  }
}
