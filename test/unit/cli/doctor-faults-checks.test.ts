/**
 * The verdicts doctor's fault checks give (src/cli/doctor-multicast.ts, doctor-tunnel.ts,
 * doctor-sip-alg.ts), table-driven from observations: the multicast flag and route of a LAN, the
 * two carriages together, the hub's certificate against the pinned fingerprint, and the SIP ALG
 * test's comparison. test/support/sip-alg-relay.ts's rewriting is checked here too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResult, CheckStatus } from '../../../src/cli/doctor-checks.js';
import { IFF_MULTICAST, multicastRouteCheck, type MulticastRouteProbe } from '../../../src/cli/doctor-multicast.js';
import { headerRewrites, parseEchoTarget, sipAlgCheck, sipAlgRequest } from '../../../src/cli/doctor-sip-alg.js';
import { carriageChecks, fingerprintCheck, type CarriageProbe } from '../../../src/cli/doctor-tunnel.js';
import { getHeader, parseMessage } from '../../../src/sip/index.js';
import { rewriteViaContact } from '../../support/sip-alg-relay.js';

function expect(name: string, r: CheckResult | undefined, check: string, status: CheckStatus, says: RegExp, todo?: RegExp): void {
  assert.ok(r !== undefined, name);
  assert.equal(r.check, check, name);
  assert.equal(r.status, status, `${name}: ${r.says}`);
  assert.match(r.says, says, name);
  if (todo === undefined) assert.equal(r.todo, undefined, `${name}: no advice when all is well`);
  else assert.match(r.todo ?? '', todo, name);
}

test('multicast flag and route of a LAN: on and routed there, routed elsewhere, no route, multicast off', () => {
  const UP_MULTICAST = 0x1003;
  const cases: [string, MulticastRouteProbe, string, CheckStatus, RegExp, RegExp?][] = [
    ['routed out of the LAN', { lan: 'lan0', flags: UP_MULTICAST, routeInterface: 'lan0' }, 'multicast-route', 'ok', /routed out of lan0, with multicast on/],
    ['flags unknown, routed out of the LAN', { lan: 'lan0', routeInterface: 'lan0' }, 'multicast-route', 'ok', /routed out of lan0/],
    ['routed out of the WAN', { lan: 'lan0', flags: UP_MULTICAST, routeInterface: 'wan0' }, 'multicast-route', 'warn', /routed out of wan0, not the LAN lan0: lan0 has no route for 224\.0\.0\.0\/4/, /ip route add 224\.0\.0\.0\/4 dev lan0/],
    ['no route at all', { lan: 'lan0', flags: UP_MULTICAST, routeError: 'ENETUNREACH' }, 'multicast-route', 'warn', /no route for 224\.0\.1\.75 on this box \(ENETUNREACH\)/, /ip route add 224\.0\.0\.0\/4 dev lan0/],
    ['multicast off', { lan: 'lan0', flags: UP_MULTICAST & ~IFF_MULTICAST, routeInterface: 'lan0' }, 'multicast-flag', 'fail', /lan0 has multicast turned off/, /ip link set dev lan0 multicast on/],
    ['multicast off and no route: the flag first', { lan: 'lan0', flags: 0x3, routeError: 'ENETUNREACH' }, 'multicast-flag', 'fail', /turned off/, /multicast on/],
  ];
  for (const [name, probe, check, status, says, todo] of cases) expect(name, multicastRouteCheck(probe), check, status, says, todo);
  const twoLans = ['lan0', 'lan1'];
  expect('two LANs, routed out of the other', multicastRouteCheck({ lan: 'lan1', flags: UP_MULTICAST, routeInterface: 'lan0' }, twoLans), 'multicast-route', 'ok', /routed out of lan0, another LAN the agent serves; it joins the group on lan1 by address/);
  expect('two LANs, routed out of the WAN', multicastRouteCheck({ lan: 'lan1', flags: UP_MULTICAST, routeInterface: 'wan0' }, twoLans), 'multicast-route', 'warn', /routed out of wan0, not the LAN lan1/, /dev lan1/);
});

const TLS = 'hub.example:5090';
const WSS = 'hub.example:5443';
const PINNED = 'AA:BB';

function probes(tls: Partial<CarriageProbe>, wss: Partial<CarriageProbe>): [CarriageProbe, CarriageProbe] {
  return [{ carriage: 'tls', target: TLS, ...tls }, { carriage: 'wss', target: WSS, ...wss }];
}

test('the two carriages together: one blocked is a warning naming its port, both down a failure, a foreign certificate stays a failure', () => {
  const up = { rttMs: 12, presentedFingerprint: PINNED };
  const cases: [string, [CarriageProbe, CarriageProbe], [string, CheckStatus][], RegExp?, RegExp?][] = [
    ['both up', probes(up, up), [['tunnel-tls', 'ok'], ['tunnel-wss', 'ok']]],
    ['TLS dropped, WSS up', probes({ error: 'timeout' }, up), [['tunnel-tls', 'warn'], ['tunnel-wss', 'ok'], ['tunnel', 'warn']], /works over WSS \(hub\.example:5443\); TLS to port 5090 is blocked/, /allow TCP 5090/],
    ['TLS refused, WSS up', probes({ error: 'ECONNREFUSED' }, up), [['tunnel-tls', 'warn'], ['tunnel-wss', 'ok'], ['tunnel', 'warn']], /TLS to port 5090 is refused/, /allow TCP 5090/],
    ['WSS dropped, TLS up', probes(up, { error: 'timeout' }), [['tunnel-tls', 'ok'], ['tunnel-wss', 'warn'], ['tunnel', 'warn']], /works over TLS .* WSS to port 5443, is blocked: if TLS is cut/, /allow TCP 5443/],
    ['both down', probes({ error: 'ECONNREFUSED' }, { error: 'timeout' }), [['tunnel-tls', 'fail'], ['tunnel-wss', 'fail'], ['tunnel', 'fail']], /either carriage/, /first tunnel problem/],
    ['another CA on TLS, WSS blocked', probes({ error: 'SELF_SIGNED_CERT_IN_CHAIN', presentedFingerprint: 'CC:DD' }, { error: 'timeout' }), [['tunnel-tls', 'fail'], ['tunnel-wss', 'fail'], ['tunnel', 'fail']]],
    ['another CA on TLS, WSS up: still a failure', probes({ error: 'SELF_SIGNED_CERT_IN_CHAIN', presentedFingerprint: 'CC:DD' }, up), [['tunnel-tls', 'fail'], ['tunnel-wss', 'ok']]],
  ];
  for (const [name, [tls, wss], want, says, todo] of cases) {
    const results = carriageChecks(tls, wss);
    assert.deepEqual(results.map((r) => [r.check, r.status]), want, name);
    const summary = results.find((r) => r.check === 'tunnel');
    if (says !== undefined) assert.match(summary?.says ?? '', says, name);
    if (todo !== undefined) assert.match(summary?.todo ?? '', todo, name);
  }
  const [blockedTls] = carriageChecks(...probes({ error: 'timeout' }, up));
  assert.match(blockedTls?.todo ?? '', /allow TCP 5090 outbound to hub\.example:5090 \(the agent runs over WSS meanwhile\)/);
});

test('the hub certificate against the pinned fingerprint: matching, another CA (both named, what to do), not seen', () => {
  const cases: [string, CarriageProbe[], CheckStatus | undefined, RegExp?, RegExp?][] = [
    ['both match', probes({ presentedFingerprint: PINNED }, { presentedFingerprint: PINNED }), 'ok', /still matches the fingerprint pinned at enrollment \(AA:BB\)/],
    ['WSS only, matching', probes({ error: 'timeout' }, { presentedFingerprint: PINNED }), 'ok', /still matches/],
    ['another CA', probes({ presentedFingerprint: 'CC:DD', error: 'SELF_SIGNED_CERT_IN_CHAIN' }, { presentedFingerprint: 'CC:DD' }), 'fail', /hub at hub\.example:5090 presents a certificate of CA CC:DD, but this agent pinned AA:BB/, /enroll --force --url URL --key KEY --fingerprint CC:DD.*TLS-inspecting.*TCP 5090 and 5443/],
    ['another CA on WSS only (an inspecting proxy on 443)', probes({ presentedFingerprint: PINNED }, { presentedFingerprint: 'EE:FF' }), 'fail', /hub\.example:5443 presents a certificate of CA EE:FF/, /--fingerprint EE:FF/],
    ['nothing connected', probes({ error: 'timeout' }, { error: 'ECONNREFUSED' }), undefined],
  ];
  for (const [name, list, status, says, todo] of cases) {
    const r = fingerprintCheck(PINNED, list);
    if (status === undefined) {
      assert.equal(r, undefined, name);
      continue;
    }
    expect(name, r, 'hub-fingerprint', status, says ?? /./, todo);
  }
});

const SENT = sipAlgRequest({ local: { address: '10.216.2.2', port: 40000 }, target: { host: '10.216.3.2', port: 5060 }, token: '0123456789abcdef' });

test('the ALG probe request: an OPTIONS with this side\'s address in Via, From and Contact, no address in the Call-ID', () => {
  const m = parseMessage(SENT);
  assert.equal(m.kind === 'request' ? `${m.method} ${m.uri}` : '', 'OPTIONS sip:echo@10.216.3.2:5060');
  assert.equal(getHeader(m, 'Via'), 'SIP/2.0/UDP 10.216.2.2:40000;branch=z9hG4bK0123456789abcdef;rport');
  assert.equal(getHeader(m, 'Contact'), '<sip:doctor@10.216.2.2:40000>');
  assert.equal(getHeader(m, 'Call-ID'), 'doctor-0123456789abcdef');
  const v6 = parseMessage(sipAlgRequest({ local: { address: '2001:db8::2', port: 5 }, target: { host: '2001:db8::1', port: 5060 }, token: 'ff' }));
  assert.equal(getHeader(v6, 'Contact'), '<sip:doctor@[2001:db8::2]:5>');
});

test('the ALG comparison: unchanged, Via and Contact rewritten (named first), a header added or removed, not SIP, no echo', () => {
  const rewritten = rewriteViaContact(SENT, '10.216.2.2:40000', '198.51.100.1:61000');
  assert.deepEqual(headerRewrites(SENT, rewritten)?.map((r) => r.name), ['Via', 'Contact']);
  const added = Buffer.from(SENT.toString().replace('CSeq:', 'X-Alg: yes\r\nCSeq:'));
  assert.deepEqual(headerRewrites(SENT, added), [{ name: 'X-Alg', sent: undefined, received: 'yes' }]);
  const removed = Buffer.from(SENT.toString().replace(/Accept: [^\r]*\r\n/, ''));
  assert.deepEqual(headerRewrites(SENT, removed), [{ name: 'Accept', sent: 'application/sdp', received: undefined }]);
  const fromRewritten = Buffer.from(SENT.toString().replace('<sip:doctor@10.216.2.2:40000>;tag', '<sip:doctor@198.51.100.1:61000>;tag'));
  assert.deepEqual(headerRewrites(SENT, fromRewritten)?.map((r) => r.name), ['From']);

  const target = '10.216.3.2:5060';
  const cases: [string, Parameters<typeof sipAlgCheck>[0], CheckStatus, RegExp, RegExp?][] = [
    ['unchanged', { target, sent: SENT, received: SENT, seenFrom: '198.51.100.1:61000' }, 'ok', /arrived unchanged \(the hub saw it from 198\.51\.100\.1:61000\): no SIP ALG/],
    ['Via and Contact rewritten', { target, sent: SENT, received: rewritten, seenFrom: '198.51.100.1:61000' }, 'warn', /SIP ALG on the way to the hub rewrote Via, Contact .*: Via 'SIP\/2\.0\/UDP 10\.216\.2\.2:40000;[^']*' arrived as 'SIP\/2\.0\/UDP 198\.51\.100\.1:61000;/, /turn the router's SIP ALG off/],
    ['a header added', { target, sent: SENT, received: added }, 'warn', /rewrote X-Alg: X-Alg \(none\) arrived as 'yes'/, /SIP ALG off/],
    ['mangled into not SIP', { target, sent: SENT, received: Buffer.from('garbage') }, 'warn', /not SIP/, /SIP ALG/],
    ['no echo', { target, sent: SENT, error: 'timeout' }, 'warn', /test was not run: the hub's SIP echo \(UDP 10\.216\.3\.2:5060\) gave no answer/, /hub\.sipEcho.*--sip-echo/],
    ['refused', { target, sent: SENT, error: 'ECONNREFUSED' }, 'warn', /gave refused \(nothing listens there\)/, /hub\.sipEcho/],
  ];
  for (const [name, o, status, says, todo] of cases) expect(name, sipAlgCheck(o), 'sip-alg', status, says, todo);
});

test('the test relay rewrites only Via and Contact lines (long and compact names), never the body', () => {
  const msg = Buffer.from('OPTIONS sip:x@h SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.2:5;branch=z9hG4bKx\r\nFrom: <sip:a@10.0.0.2:5>\r\nm: <sip:a@10.0.0.2:5>\r\nContent-Length: 10\r\n\r\n10.0.0.2:5');
  assert.equal(rewriteViaContact(msg, '10.0.0.2:5', '1.2.3.4:9').toString(), 'OPTIONS sip:x@h SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4:9;branch=z9hG4bKx\r\nFrom: <sip:a@10.0.0.2:5>\r\nm: <sip:a@1.2.3.4:9>\r\nContent-Length: 10\r\n\r\n10.0.0.2:5');
});

test('--sip-echo HOST:PORT: names, IPv4, bracketed IPv6; anything else refused', () => {
  assert.deepEqual(parseEchoTarget('hub.example:5060'), { host: 'hub.example', port: 5060 });
  assert.deepEqual(parseEchoTarget('192.0.2.1:5062'), { host: '192.0.2.1', port: 5062 });
  assert.deepEqual(parseEchoTarget('[2001:db8::1]:5060'), { host: '2001:db8::1', port: 5060 });
  for (const bad of ['hub.example', ':5060', 'hub.example:0', 'hub.example:65536', '2001:db8::1:5060', '[hub]:5060x', 'a b:5060', '']) {
    assert.equal(parseEchoTarget(bad), undefined, bad);
  }
});
