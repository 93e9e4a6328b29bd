/**
 * BLF (RFC 4235 dialog event package) against a real presence server, in network namespaces this
 * test creates (10.205.x.y exists only inside them):
 *
 *   lan (phones A B, SIPp watchers, 10.205.1.10) ── agent (10.205.1.1 | 10.205.2.2) ── pbx (hub + Kamailio, 10.205.2.1)
 *
 * Kamailio tracks the call A → B with its dialog module, pua_dialoginfo PUBLISHes B's dialog
 * state to Kamailio's own presence + presence_dialoginfo, which NOTIFYs the one subscription the
 * agent holds for five branch watchers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone, type BaresipOptions } from '../support/baresip.js';
import { Testbed } from '../support/netns.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';
import { blfPresenceWatchers } from '../support/sbc-blf.js';
import { SbcNode } from '../support/sbc-rig.js';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';

const AGENT_LAN = '10.205.1.1';
const PHONES = '10.205.1.10';
const PBX = '10.205.2.1';

let bed: Testbed;
let dir: string;
let certs: TunnelCerts;
let pbx: PbxProcess;
let hub: SbcNode;
let agent: SbcNode;
const phones: BaresipPhone[] = [];
let ns: Record<'lan' | 'agent' | 'pbx', string>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function phone(name: string, i: number, answer: 'auto' | 'manual'): Promise<BaresipPhone> {
  const o: BaresipOptions = {
    dir, name, address: PHONES, netns: ns.lan, answer, outbound: `sip:${AGENT_LAN}:23060;transport=udp`,
    sipPort: 23300 + i * 2, ctrlPort: 23310 + i, rtpPorts: [23400 + i * 20, 23419 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: 500 + i * 250,
  };
  return BaresipPhone.start(o);
}

/** SIPp in a namespace, bounded by -timeout; resolves with its exit code and trace. */
function sipp(netns: string, name: string, args: string[]): Promise<{ code: number | null; trace: string }> {
  const log = join(dir, `${name}-msg.log`);
  const err = join(dir, `${name}-err.log`);
  const child = spawn('ip', ['netns', 'exec', netns, 'sipp', ...args, '-nostdin', '-timeout', '40s', '-trace_msg', '-message_file', log, '-trace_err', '-error_file', err], { stdio: 'ignore' });
  // SIPp's own -timeout does not end a call waiting in a scenario loop: stop it by pid.
  const stop = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(stop);
    let trace = '';
    for (const f of [log, err]) {
      try {
        trace += readFileSync(f, 'utf8').slice(-4000);
      } catch {
        // SIPp wrote no such file
      }
    }
    resolve({ code, trace });
  }));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-blf-'));
  bed = new Testbed('sbcp');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), pbx: bed.namespace('pbx') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.205.2.2/24' }, { ns: ns.pbx, dev: 'eth0', addr: `${PBX}/24` });
  certs = makeTunnelCerts([PBX]);
  pbx = startPbx(dir, PBX, 23060, ns.pbx, { presence: true });
  hub = new SbcNode('hub', {
    certs: { key: certs.hub.keyPath, cert: certs.hub.certPath, ca: certs.caPath },
    tunnelHost: PBX, tunnelPort: 23090, sipAddress: PBX, sipPort: 23070, mediaAddress: PBX,
    mediaPorts: { min: 23200, max: 23299 }, pbx: { host: PBX, port: 23060 },
  }, ns.pbx);
  await hub.waitFor('listening');
  agent = new SbcNode('agent', {
    identity: 'agent-1', certs: { key: certs.agent.keyPath, cert: certs.agent.certPath, ca: certs.caPath },
    hub: { host: PBX, port: 23090 }, sipAddress: AGENT_LAN, sipPort: 23060, mediaAddress: AGENT_LAN,
    mediaPorts: { min: 23100, max: 23199 },
  }, ns.agent);
  await agent.waitFor('tunnel-open', 15_000);
  phones.push(await phone('A', 0, 'auto'), await phone('B', 1, 'manual'));
});

after(async () => {
  for (const p of phones) await p.stop().catch(() => undefined);
  await agent?.stop();
  await hub?.stop();
  await pbx?.stop();
  bed?.remove();
  certs?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('BLF from Kamailio presence: five branch watchers of B see A → B ringing (early) then answered (confirmed); Kamailio sees one SUBSCRIBE dialog', { timeout: 90_000 }, async () => {
  const [a, b] = phones as [BaresipPhone, BaresipPhone];
  // Watchers share a subscription only from a host with a live registration (A and B are on the watchers' address).
  await a.waitRegistered();
  await b.waitRegistered();
  writeFileSync(join(dir, 'blf-watchers.xml'), blfPresenceWatchers(`sip:sbc@${AGENT_LAN}:23060`));
  const watching = sipp(ns.lan, 'blf-watchers', ['-sf', join(dir, 'blf-watchers.xml'), `${AGENT_LAN}:23060`, '-s', b.options.user, '-i', PHONES, '-p', '23720', '-m', '5', '-r', '10', '-l', '5']);
  await sleep(2000);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:${b.options.user}@${PBX_DOMAIN}`);
  await b.waitFor('CALL_INCOMING', 15_000, since.b);
  // B rings a while before answering, so every watcher sees early before confirmed.
  await sleep(2000);
  const answered = await b.command('accept');
  assert.ok(answered.ok, `accept: ${answered.data}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  const watchers = await watching;
  await a.command('hangup').catch(() => undefined);
  const kamailio = pbx.log.join('');
  const logs = `agent: ${agent.stderr.join('').slice(-1500)}\nhub: ${hub.stderr.join('').slice(-1500)}\nkamailio: ${kamailio.slice(-3000)}`;
  assert.equal(watchers.code, 0, `watchers: ${watchers.trace.slice(-3000)}\n${logs}`);
  assert.match(watchers.trace, /<dialog-info [^>]*entity="sip:1002@pbx\.test"/, 'the bodies are Kamailio\'s dialog-info for B');
  const subscribes = kamailio.match(/BLF SUBSCRIBE \S+/g) ?? [];
  assert.equal(subscribes.length, 1, `one upstream subscription dialog for five watchers: ${subscribes.join(', ')}`);
  assert.doesNotMatch(kamailio, /10\.205\.1\./, 'no LAN address reaches the PBX');
});
