/**
 * The verdicts of `sbc-agent doctor` (src/cli/doctor-checks.ts), table-driven: for each fault the
 * status and the words that name it and what to do; `/proc/net/igmp` read; the exit verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PNP_GROUP, certificateCheck, clockCheck, diskCheck, formatChecks, multicastCheck, parseProcIgmp, portCheck, reachCheck, tunnelSummary, worst, type CheckResult, type CheckStatus, type PortProbe, type ReachProbe,
} from '../../../src/cli/doctor-checks.js';

function expect(name: string, r: CheckResult, status: CheckStatus, says: RegExp, todo?: RegExp): void {
  assert.equal(r.status, status, `${name}: ${r.says}`);
  assert.match(r.says, says, name);
  if (todo === undefined) assert.equal(r.todo, undefined, `${name}: no advice when all is well`);
  else assert.match(r.todo ?? '', todo, name);
}

test('ports: free before start, held by the running agent, taken by another program, unbindable', () => {
  const base = { name: 'SIP', transport: 'UDP', address: '0.0.0.0', port: 5060 } as const;
  const cases: [string, Partial<PortProbe> & { agentRunning: boolean }, CheckStatus, RegExp, RegExp?][] = [
    ['free, agent stopped', { agentRunning: false }, 'ok', /SIP UDP 0\.0\.0\.0:5060 is free/],
    ['held by the agent', { agentRunning: true, error: 'EADDRINUSE' }, 'ok', /in use by the running agent/],
    ['taken by another program', { agentRunning: false, error: 'EADDRINUSE' }, 'fail', /taken by another program/, /ss -lunpt sport = :5060/],
    ['free although the agent runs', { agentRunning: true }, 'fail', /not listening there/, /sbc-agent status/],
    ['no such address', { agentRunning: false, error: 'EADDRNOTAVAIL' }, 'fail', /no address 0\.0\.0\.0/, /agent\.lan/],
    ['privileged port', { agentRunning: false, error: 'EACCES' }, 'fail', /may not be bound/, /CAP_NET_BIND_SERVICE/],
    ['other error', { agentRunning: false, error: 'EINVAL' }, 'fail', /EINVAL/, /error above/],
  ];
  for (const [name, probe, status, says, todo] of cases) expect(name, portCheck({ ...base, ...probe }), status, says, todo);
});

test('/proc/net/igmp: groups per interface, the host-order hex read as dotted quads', () => {
  const text = 'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n1\tlo        :     2      V3\n\t\t\t\t4B0100E0     1 0:00000000\t\t0\n\t\t\t\t010000E0     1 0:00000000\t\t0\n4\teth0      :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n';
  const groups = parseProcIgmp(text);
  assert.deepEqual([...groups.keys()], ['lo', 'eth0']);
  assert.deepEqual([...(groups.get('lo') ?? [])], ['224.0.1.75', '224.0.0.1']);
  assert.deepEqual([...(groups.get('eth0') ?? [])], ['224.0.0.1']);
  assert.equal(parseProcIgmp('').size, 0);
});

test('multicast: joined, not joined while running (no multicast route), before start, no interface, PnP off', () => {
  const joined = new Set([PNP_GROUP]);
  const none = new Set<string>(['224.0.0.1']);
  const cases: [string, CheckResult, CheckStatus, RegExp, RegExp?][] = [
    ['joined', multicastCheck('eth1', joined, true, true), 'ok', /eth1 has joined 224\.0\.1\.75/],
    ['not joined, running', multicastCheck('eth1', none, true, true), 'fail', /has not joined 224\.0\.1\.75 although the agent runs/, /ip route add 224\.0\.0\.0\/4 dev eth1/],
    ['not joined, stopped', multicastCheck('eth1', none, false, true), 'warn', /the agent is not running/, /start the agent/],
    ['no interface', multicastCheck('eth9', undefined, true, true), 'fail', /no such interface/, /ip link show eth9/],
    ['pnp off', multicastCheck('eth1', none, true, false), 'ok', /plug-and-play is off/],
  ];
  for (const [name, r, status, says, todo] of cases) expect(name, r, status, says, todo);
});

test('clock: in sync, a few seconds off, 10 minutes off (both ways), unreadable', () => {
  const cases: [string, CheckResult, CheckStatus, RegExp, RegExp?][] = [
    ['in sync', clockCheck(400), 'ok', /agree/],
    ['5 s behind', clockCheck(5_000), 'warn', /5 s behind the hub's/, /timedatectl set-ntp true/],
    ['10 min behind', clockCheck(600_000), 'fail', /10 min behind the hub's/, /NTP/],
    ['10 min ahead', clockCheck(-600_000), 'fail', /10 min ahead of the hub's/, /NTP/],
    ['unreadable', clockCheck(undefined, 'ECONNREFUSED'), 'warn', /could not be read \(ECONNREFUSED\)/, /tunnel checks/],
  ];
  for (const [name, r, status, says, todo] of cases) expect(name, r, status, says, todo);
});

test('tunnel: each carriage up with its RTT, blocked, refused, unresolved, a hub certificate that is not the enrolled one', () => {
  const tls = (p: Partial<ReachProbe>): ReachProbe => ({ carriage: 'tls', target: 'hub.example:5090', ...p });
  const cases: [string, ReachProbe, string, CheckStatus, RegExp, RegExp?][] = [
    ['tls up', tls({ rttMs: 23.4 }), 'tunnel-tls', 'ok', /over TLS \(hub\.example:5090\) answers in 23 ms/],
    ['wss up', { carriage: 'wss', target: 'hub.example:443', rttMs: 40 }, 'tunnel-wss', 'ok', /over WSS .* answers in 40 ms/],
    ['tls blocked', tls({ error: 'timeout' }), 'tunnel-tls', 'fail', /no answer/, /firewall.*falls back to WSS/],
    ['refused', tls({ error: 'ECONNREFUSED' }), 'tunnel-tls', 'fail', /refused/, /not listening/],
    ['unresolved', tls({ error: 'ENOTFOUND' }), 'tunnel-tls', 'fail', /does not resolve/, /DNS/],
    ['another certificate', tls({ error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tunnel-tls', 'fail', /not the one enrolled with/, /enroll --force/],
    ['another CA', tls({ error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tunnel-tls', 'fail', /not the one enrolled with/, /TLS-inspecting/],
  ];
  for (const [name, probe, check, status, says, todo] of cases) {
    const r = reachCheck(probe);
    assert.equal(r.check, check, name);
    expect(name, r, status, says, todo);
  }
  const up = reachCheck(tls({ rttMs: 1 }));
  const down = reachCheck(tls({ error: 'timeout' }));
  assert.equal(tunnelSummary(down, reachCheck({ carriage: 'wss', target: 'h:443', rttMs: 5 })), undefined, 'TLS down, WSS up: the tunnel still runs');
  assert.equal(tunnelSummary(up, down), undefined);
  assert.equal(tunnelSummary(down, down)?.status, 'fail');
});

test('disk and certificate expiry', () => {
  const MiB = 1024 * 1024;
  const now = Date.UTC(2026, 11, 3);
  const day = 86_400_000;
  const cases: [string, CheckResult, CheckStatus, RegExp, RegExp?][] = [
    ['plenty of disk', diskCheck('/var/lib/sbc-agent', 5000 * MiB), 'ok', /5000 MiB free/],
    ['low disk', diskCheck('/var/lib/sbc-agent', 100 * MiB), 'warn', /only 100 MiB free/, /journalctl/],
    ['disk full', diskCheck('/var/lib/sbc-agent', 5 * MiB), 'fail', /only 5 MiB free/, /free some space/],
    ['certificate valid', certificateCheck('the certificate', now + 400 * day, now), 'ok', /valid until 2028-01-07 \(400 days\)/],
    ['certificate soon', certificateCheck('the certificate', now + 10 * day, now), 'warn', /expires in 10 days/, /rekey-sbc/],
    ['certificate expired', certificateCheck('the certificate', now - day, now), 'fail', /expired on 2026-12-02/, /enroll again/],
  ];
  for (const [name, r, status, says, todo] of cases) expect(name, r, status, says, todo);
});

test('the verdict is the worst check; the text marks each and gives the advice under it', () => {
  const ok: CheckResult = { check: 'disk', status: 'ok', says: 'fine' };
  const warn: CheckResult = { check: 'clock', status: 'warn', says: 'a bit off', todo: 'sync it' };
  const fail: CheckResult = { check: 'port', status: 'fail', says: 'taken', todo: 'free it' };
  assert.equal(worst([ok]), 'ok');
  assert.equal(worst([ok, warn]), 'warn');
  assert.equal(worst([warn, fail, ok]), 'fail');
  assert.equal(formatChecks([ok, fail]), 'ok   fine\nFAIL taken\n     → free it\n');
});
