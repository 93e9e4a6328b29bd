/** A responder wired to a manual clock, a recording LAN socket and an inbox in a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '../../src/core/index.js';
import { InboxFile, PhoneInbox, PnpResponder, type PnpPolicy } from '../../src/pnp/index.js';
import { RecordingSocket } from './pnp-fakes.js';

export function pnpRig(policy: PnpPolicy, options: { t1Ms?: number; t2Ms?: number; burst?: number; maxActiveNotifies?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-unit-'));
  const clock = new ManualClock();
  const file = new InboxFile(dir, clock);
  const inbox = new PhoneInbox(file, policy, clock, silentLogger);
  const lan = new RecordingSocket('10.0.0.1', 5060);
  let n = 0;
  const responder = new PnpResponder({
    clock, log: silentLogger, inbox, lans: [{ address: '10.0.0.1', netmask: '0.0.0.0', socket: lan }],
    url: { base: 'http://{ip}:{port}/' }, relayPort: 8080,
    ...(options.t1Ms === undefined ? {} : { t1Ms: options.t1Ms }),
    ...(options.t2Ms === undefined ? {} : { t2Ms: options.t2Ms }),
    ...(options.burst === undefined ? {} : { rateLimit: { burst: options.burst, perSecond: 5 } }),
    ...(options.maxActiveNotifies === undefined ? {} : { maxActiveNotifies: options.maxActiveNotifies }),
    ids: { tag: () => `agtag${++n}`, branch: () => `z9hG4bKagent${n}` },
  });
  return {
    dir, clock, file, inbox, lan, responder,
    done: async (): Promise<void> => {
      responder.close();
      await inbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
