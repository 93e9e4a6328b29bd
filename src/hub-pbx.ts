/**
 * The hub's built-in PBX (`hub.pbx: builtin`, issue 12 "the quick start becomes a PBX in a box"):
 * the routing core of the agent's local mode, run on the hub for `hub.routing`'s whole model. The
 * same parts as `agent.calls: local` (src/agent-local.ts): LocalControl (the registrar checking
 * digests against the model's HA1s, registrations.json, statuses.json, the B2BUA and the register
 * trunks) and a LocalCallPath on a SIP stack of its own. The hub's call path meets it on that
 * stack's address as it meets Kamailio: REGISTERs and calls of every branch arrive from the call
 * path's one SIP socket, and the B2BUA rings each phone at the contact the call path registered.
 *
 * One rule differs from the agent's: a request is not trusted by the flow it came from when that
 * flow is the hub's call path, because every phone of every branch shares it. A new INVITE from
 * there is challenged (407, RFC 3261 §22.3) and the phone answers with its extension's password;
 * a phone registered to the built-in PBX directly (hub.builtinPbx.listen on a LAN) has a flow of
 * its own and is trusted by it, as on the agent.
 */
import { join } from 'node:path';
import { componentLogger, type Clock, type Logger } from './core/index.js';
import { LocalCallPath, PROMPTS_FOLDER, readMusicOnHold } from './b2bua/index.js';
import type { BuiltinPbxConfig } from './config/index.js';
import { LocalControl } from './agent-local.js';
import type { HubService } from './hub.js';
import { ensurePrivateDir, type ListenerStatus } from './platform/index.js';
import type { CdrRecord, RoutingModel } from './routing/index.js';
import { openStack } from './sbc/index.js';
import type { SipStack, TransactionSource } from './sip/index.js';

/** The name the B2BUA gives itself in routing requests and CDRs (CallRequest.agent): no branch's. */
export const BUILTIN_PBX_NAME = 'hub';

export interface HubBuiltinPbxOptions {
  readonly config: BuiltinPbxConfig;
  /** `<state>/hub/pbx`: registrations.json and statuses.json. */
  readonly dir: string;
  /** The hub's routing model (HubRouting.current()); undefined until it is read (503 meanwhile). */
  readonly routing: () => RoutingModel | undefined;
  /** Whether a request comes from a flow many phones share (the hub's call path socket). */
  readonly sharedFlow: (source: TransactionSource) => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onCdr?: (record: CdrRecord) => void;
}

export class HubBuiltinPbx implements HubService {
  readonly name = 'builtin-pbx';
  readonly #o: HubBuiltinPbxOptions;
  #control: LocalControl | undefined;
  #stack: SipStack | undefined;
  #callPath: LocalCallPath | undefined;
  #closed: Promise<void> | undefined;

  constructor(o: HubBuiltinPbxOptions) {
    this.#o = o;
  }

  /** The registrar and B2BUA, once started. */
  get control(): LocalControl | undefined {
    return this.#control;
  }

  async start(): Promise<void> {
    const o = this.#o;
    const logger = componentLogger(o.logger, 'builtin-pbx');
    await ensurePrivateDir(o.dir);
    // Read before anything opens: a wrong file is a configuration error naming the field.
    const music = o.config.media.musicOnHold;
    const musicOnHold = music === undefined ? undefined : await readMusicOnHold(music, join(o.dir, PROMPTS_FOLDER), 'hub.builtinPbx.media.musicOnHold');
    const control = await LocalControl.open({
      clock: o.clock, logger, dir: o.dir, routing: o.routing, sharedFlow: o.sharedFlow, ...(o.onCdr === undefined ? {} : { onCdr: o.onCdr }), ...(musicOnHold === undefined ? {} : { musicOnHold }),
    });
    this.#control = control;
    const { listen, port } = o.config.sip;
    try {
      this.#stack = await openStack(o.clock, logger, { address: listen, udpPort: port, tcpPort: port });
    } catch (error) {
      await control.close();
      throw error;
    }
    const registrar = control.registrar;
    this.#callPath = new LocalCallPath({
      stack: this.#stack,
      registrar,
      auth: control.auth,
      // Read at each call: the B2BUA is set just below.
      calls: { invite: (incoming, origin) => control.calls.invite(incoming, origin), inDialog: (incoming) => control.calls.inDialog(incoming) },
      routing: o.routing,
      callers: { extensionAt: (source, user) => (o.sharedFlow(source) ? undefined : registrar.extensionAt(source, user)) },
      logger,
    });
    await control.startCalls({ stack: this.#stack, mediaAddress: o.config.media.address, mediaPorts: o.config.media.ports, sbcName: BUILTIN_PBX_NAME });
    logger.info({ sip: `${listen}:${port}`, media: o.config.media }, 'built-in PBX listening');
  }

  listeners(): readonly ListenerStatus[] {
    const udp = this.#stack?.transport.localAddress('UDP');
    return udp === undefined ? [] : [{ name: 'builtin-pbx', address: udp.address, port: udp.port }];
  }

  statusParts(): Readonly<Record<string, unknown>> {
    const control = this.#control;
    if (control === undefined) return {};
    return { builtinPbx: { registrations: control.rows(), activeCalls: control.activeCalls() } };
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      // Calls end (BYE) while the stack is open, then the stack, then the registrar's last write.
      await this.#control?.endCalls();
      this.#callPath?.close();
      await this.#stack?.close();
      await this.#control?.close();
    })();
    return this.#closed;
  }
}

/** `<state>/hub/pbx`. */
export function builtinPbxDir(hubDir: string): string {
  return join(hubDir, 'pbx');
}
