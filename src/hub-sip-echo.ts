/**
 * The hub's SIP echo (`hub.sipEcho`): a UDP port, 5060 by default because that is the port SIP
 * ALGs watch, where an OPTIONS is answered with a copy of itself as it arrived (src/sip/echo.ts).
 * `sbc-agent doctor` sends one from the branch and names the headers a router rewrote on the way.
 * Off unless configured: on a hub beside its PBX, 5060 is usually the PBX's.
 *
 * Each source gets a few answers a second (a token bucket checked before parsing) and requests
 * larger than SIP_ECHO_MAX_REQUEST_BYTES are dropped, so the port is no amplifier worth using.
 */
import { componentLogger, SourceRateLimiter, type Clock, type Logger } from './core/index.js';
import type { ListenConfig } from './config/index.js';
import { bindUdp, type DatagramSocket } from './net/index.js';
import type { ListenerStatus } from './platform/index.js';
import { sipEchoAnswer } from './sip/index.js';
import { bindExplained } from './bind-explained.js';
import type { HubService } from './hub.js';

export interface HubSipEchoOptions {
  readonly listen: ListenConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function hubSipEchoService(o: HubSipEchoOptions): HubService {
  const log = componentLogger(o.logger, 'sip-echo');
  const limiter = new SourceRateLimiter({ burst: 5, perSecond: 2 }, o.clock);
  let socket: DatagramSocket | undefined;
  let closed: Promise<void> | undefined;
  return {
    name: 'sip-echo',
    async start() {
      const s = await bindExplained('udp', o.listen.listen, o.listen.port, () => bindUdp({ address: o.listen.listen, port: o.listen.port }));
      socket = s;
      s.onError((error) => log.debug({ err: error }, 'echo send failed'));
      s.onMessage((data, from) => {
        if (!limiter.allow(from.address)) return;
        const answer = sipEchoAnswer(data, from);
        if (answer !== undefined) s.send(answer, from.port, from.address);
      });
    },
    listeners(): readonly ListenerStatus[] {
      return socket === undefined ? [] : [{ name: 'sip-echo', address: socket.local.address, port: socket.local.port }];
    },
    close() {
      closed ??= socket?.close() ?? Promise.resolve();
      return closed;
    },
  };
}
