/**
 * Issue 12, survival WITH a routing model, in network namespaces this test creates:
 *
 *   phones 10.212.1.10 ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio on 127.0.0.1]
 *                                                                              └─ 10.212.2.5 [ITSP, a SIPp UAS]
 *
 * The hub has a `hub.routing` model whose extensions are Kamailio's users (1001–1003, password
 * "secret", realm pbx.test), an outbound rule 0… → the ITSP as +33…, the ITSP as the branch's local
 * trunk and emergency number 112. Two baresip phones register through the agent to Kamailio.
 * Then Kamailio is killed and the WAN toward the hub is dropped (nftables in the agent's
 * namespace; the ITSP is on a line of its own, which stays): the agent is in survival within 5 s
 * of the cut (measured and printed). In survival: a phone that registers anew is checked against
 * the snapshot's HA1s (right and wrong password), a branch call has audio both ways, a national
 * number goes out of the local trunk by the outbound rule, 112 goes out of it too, and a watcher
 * of 1002 (SUBSCRIBE Event: dialog) gets the agent's own dialog-state NOTIFYs for a survival call.
 * Then Kamailio comes back (as a presence server) and the WAN returns: after the hold-down the
 * agent's BLF subscriptions end with "deactivated" and a watcher's new SUBSCRIBE reaches Kamailio.
 * The set-up is test/support/survival-rig.ts (and survival-model-rig.ts for the model and SIPp).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dominantFrequency, type BaresipPhone } from '../support/baresip.js';
import { PBX_DOMAIN, PBX_PASSWORD } from '../support/sbc-kamailio.js';
import { sippTimeline } from '../support/local-rig.js';
import { readText, startModelRig, type ModelRig } from '../support/survival-model-rig.js';

const TONE = { A: 1000, B: 500 } as const;

let m: ModelRig;
const phones: Partial<Record<keyof typeof TONE, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function both(): { a: BaresipPhone; b: BaresipPhone } {
  const { A: a, B: b } = phones;
  assert.ok(a !== undefined && b !== undefined);
  return { a, b };
}

before(async () => {
  m = await startModelRig({ prefix: 'svm', net: '10.212', sbcName: 'branch-svm', agentSurvival: '{ holdDown: 10s }' });
  phones.A = await m.rig.phone({ name: 'A', sipPort: 23500, ctrlPort: 23510, rtpPorts: [23600, 23619], user: '1001', toneHz: TONE.A, regint: 3600 });
  phones.B = await m.rig.phone({ name: 'B', sipPort: 23502, ctrlPort: 23511, rtpPorts: [23620, 23639], user: '1002', toneHz: TONE.B, regint: 3600 });
  await phones.A.waitRegistered();
  await phones.B.waitRegistered();
});

after(async () => {
  await m?.rig.close();
});

test('Kamailio killed and the WAN dropped: survival within 5 s of the cut', { timeout: 30_000 }, async () => {
  // The first lost packet: from here nothing passes between the agent and the hub (the ITSP's address stays reachable).
  const cut = Date.now();
  const killed = m.rig.stopPbx();
  m.rig.dropWan();
  const s = await m.statusUntil((x) => x.parts.survival?.mode === 'survival', 'survival mode', 8_000);
  const seenMs = Date.now() - cut;
  // The agent's own log line of the transition is the takeover; `status` (written each second, read by a CLI process) lags it.
  const line = m.log().split('\n').find((l) => /"msg":"mode survival"/.test(l)) ?? '';
  const takeoverMs = Date.parse((/"time":"([^"]+)"/.exec(line) ?? [])[1] ?? '') - cut;
  process.stdout.write(`# survival (model): takeover ${takeoverMs} ms after the WAN cut, seen in status after ${seenMs} ms (${s.parts.survival?.reason})\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s (took ${takeoverMs} ms): ${line}`);
  assert.equal(s.parts.routing?.version, 1, 'the snapshot stays');
  await killed;
});

test('in survival a phone registering anew is checked against the snapshot\'s HA1s: right password 200, wrong one refused', { timeout: 40_000 }, async () => {
  const args = (password: string): string[] => [`${m.rig.address.agentLan}:5060`, '-s', '1003', '-au', '1003', '-ap', password, '-key', 'expires', '600', '-i', m.addr.sippPhone, '-p', '5070', '-timeout', '10s'];
  const ok = await m.sipp('register-ok', m.rig.ns.lan, 'local-register.xml', args(PBX_PASSWORD));
  assert.equal(ok.code, 0, `1003 registers with the model's password: ${ok.stderr}\n${ok.trace.slice(-2000)}\nagent: ${m.log().slice(-2000)}`);
  const wrong = await m.sipp('register-wrong', m.rig.ns.lan, 'local-register.xml', args('not-the-password'));
  assert.notEqual(wrong.code, 0, 'a wrong password is not registered');
  const finals = sippTimeline(wrong.trace).filter((m) => m.direction === 'received').map((m) => m.firstLine);
  assert.ok(finals.every((l) => !/^SIP\/2\.0 200/.test(l)), `no 200 for a wrong password: ${finals.join(' | ')}`);
  assert.ok(finals.some((l) => /^SIP\/2\.0 (401|403)/.test(l)), `refused: ${finals.join(' | ')}`);
});

test('in survival 1001 calls 1002 by the model: audio both ways', { timeout: 60_000 }, async () => {
  const { a, b } = both();
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:1002@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await sleep(3000);
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  const heardByB = dominantFrequency(b.decodedRecordings().at(-1) ?? '').hz;
  const heardByA = dominantFrequency(a.decodedRecordings().at(-1) ?? '').hz;
  assert.ok(Math.abs(heardByB - TONE.A) <= TONE.A * 0.05, `B hears A's ${TONE.A} Hz (got ${heardByB})`);
  assert.ok(Math.abs(heardByA - TONE.B) <= TONE.B * 0.05, `A hears B's ${TONE.B} Hz (got ${heardByA})`);
});

test('in survival a national number goes out of the local trunk by the outbound rule: stripped of its 0, prefixed +33', { timeout: 60_000 }, async () => {
  const { a } = both();
  const run = m.itsp('itsp-national');
  const since = a.events.length;
  await a.command('dial', `sip:0612345678@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  const done = await run;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${m.log().slice(-3000)}`);
  assert.match(sippTimeline(done.trace)[0]?.firstLine ?? '', /^INVITE sip:\+33612345678@10\.212\.2\.5:5060 SIP\/2\.0$/);
});

test('in survival 112 goes out of the local trunk with the emergency caller ID', { timeout: 60_000 }, async () => {
  const { b } = both();
  const run = m.itsp('itsp-emergency');
  const since = b.events.length;
  await b.command('dial', `sip:112@${PBX_DOMAIN}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(500);
  await b.command('hangup');
  const done = await run;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${m.log().slice(-3000)}`);
  const invite = sippTimeline(done.trace)[0]?.text ?? '';
  assert.match(invite, /^INVITE sip:112@10\.212\.2\.5:5060 SIP\/2\.0/);
  assert.match(invite, /\r?\nFrom: [^\r\n]*\+33123451002\b/, 'the emergency caller ID of 1002');
  await m.rig.agent?.waitForStderr(/"kind":"emergency"/, 5_000);
});

test('BLF in survival: a watcher of 1002 gets the agent\'s own NOTIFYs for a survival call: idle, early, confirmed, terminated', { timeout: 60_000 }, async () => {
  const { a } = both();
  // The watcher is the desk phone 1003, from the flow it registered from in survival (port 5070).
  const watcher = m.sipp('blf-watcher', m.rig.ns.lan, 'survival-blf-watcher.xml', [`${m.rig.address.agentLan}:5060`, '-s', '1002', '-key', 'watcher', '1003', '-i', m.addr.sippPhone, '-p', '5070', '-timeout', '40s']);
  const trace = join(m.rig.dir, 'blf-watcher.log');
  const deadline = Date.now() + 10_000;
  while (!/NOTIFY sip:/.test(readText(trace))) {
    assert.ok(Date.now() < deadline, `the first NOTIFY within 10 s: ${readText(trace).slice(-2000)}\nagent: ${m.log().slice(-2000)}`);
    await sleep(100);
  }
  const since = a.events.length;
  await a.command('dial', `sip:1002@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since);
  const done = await watcher;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-4000)}\nagent: ${m.log().slice(-2000)}`);
  const notifies = sippTimeline(done.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY'));
  const states = notifies.map((n) => [...n.text.matchAll(/direction="(\w+)">\s*<state[^>]*>(\w+)</g)].map((m) => `${m[1]} ${m[2]}`).join(','));
  assert.deepEqual(states, ['', 'recipient early', 'recipient confirmed', 'recipient terminated'], notifies.map((n) => n.text).join('\n----\n'));
  assert.ok(notifies.every((n) => /\r?\nEvent: dialog\r?\n/.test(n.text) && /application\/dialog-info\+xml/.test(n.text)));
});

test('failback ends the agent\'s BLF subscriptions with "deactivated" and the watcher\'s new SUBSCRIBE reaches the PBX again', { timeout: 120_000 }, async () => {
  // 1003 from a flow of its own (port 5072): the earlier watcher's subscription on port 5070 is not this one.
  const registered = await m.sipp('register-5072', m.rig.ns.lan, 'local-register.xml', [`${m.rig.address.agentLan}:5060`, '-s', '1003', '-au', '1003', '-ap', PBX_PASSWORD, '-key', 'expires', '600', '-i', m.addr.sippPhone, '-p', '5072', '-timeout', '10s']);
  assert.equal(registered.code, 0, registered.trace.slice(-2000));
  const watcher = m.sipp('blf-failback', m.rig.ns.lan, 'survival-blf-failback.xml', [`${m.rig.address.agentLan}:5060`, '-s', '1002', '-key', 'watcher', '1003', '-au', '1003', '-ap', PBX_PASSWORD, '-i', m.addr.sippPhone, '-p', '5072', '-timeout', '100s']);
  const trace = join(m.rig.dir, 'blf-failback.log');
  const deadline = Date.now() + 10_000;
  while (!/NOTIFY sip:/.test(readText(trace))) {
    assert.ok(Date.now() < deadline, `the first NOTIFY within 10 s: ${readText(trace).slice(-2000)}`);
    await sleep(100);
  }
  // The PBX comes back as a presence server (RFC 4235 from Kamailio), trusting its SBC peer's REGISTERs; the WAN returns.
  const pbx = m.rig.startPbx({ presence: true, trustRegistersFrom: '127.0.0.1' });
  m.rig.restoreWan();
  const back = Date.now();
  await m.statusUntil((s) => s.parts.survival?.mode === 'normal', 'normal mode after the hold-down', 60_000);
  process.stdout.write(`# failback ${Date.now() - back} ms after the WAN and the PBX returned (hold-down 10 s)\n`);
  const done = await watcher;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-4000)}\nagent: ${m.log().slice(-2000)}`);
  const notifies = sippTimeline(done.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY'));
  const states = notifies.map((n) => /\r?\nSubscription-State: *([^\r\n]+)/i.exec(n.text)?.[1] ?? '');
  assert.match(states[0] ?? '', /^active/, 'the agent\'s first NOTIFY in survival');
  assert.equal(states[1], 'terminated;reason=deactivated', 'ended at failback, so the phone subscribes again');
  assert.match(states[2] ?? '', /^active/, 'the new subscription is served');
  // Kamailio logs each SUBSCRIBE for the dialog package it serves (the agent swaps Call-IDs at the LAN edge, so it is not matched on).
  assert.ok(pbx.log.some((l) => /BLF SUBSCRIBE /.test(l)), `the new SUBSCRIBE reached Kamailio: ${pbx.log.slice(-20).join('\n')}`);
});
