/**
 * doctor's STUN NAT behaviour and path MTU checks (src/cli/doctor-nat.ts, doctor-mtu.ts), as
 * tables: each NAT report of the agent's own check (run-nat.ts) → its verdict, never a failure;
 * tracepath's output as printed by iputils-tracepath 20221126 (whole runs and runs cut short at the
 * deadline) → the path MTU found → ok, or a warning below 1400 bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckStatus } from '../../../src/cli/doctor-checks.js';
import { MIN_PATH_MTU, mtuCheck, parseTracepath, type MtuProbe, type TracepathResult } from '../../../src/cli/doctor-mtu.js';
import { natCheck } from '../../../src/cli/doctor-nat.js';
import type { NatStatus } from '../../../src/cli/run-nat.js';

const DONE = { state: 'done', server: 'stun.example.net:3478', mappedAddress: '203.0.113.5:40000', natPresent: true, hairpin: false, verdict: '' } as const;

test('STUN NAT behaviour: each report of the NAT check in plain words, warn at worst, skipped without a server', () => {
  const rows: [string, NatStatus, CheckStatus, RegExp, RegExp | undefined][] = [
    ['no STUN server configured', { state: 'not configured' }, 'ok', /not tested: no STUN server is configured \(agent\.stun\.server\)/, undefined],
    ['the server does not answer', { state: 'failed', server: 'stun.example.net:3478', error: 'no answer after 3000 ms' }, 'warn', /stun\.example\.net:3478 gave no answer \(no answer after 3000 ms\)/, /check agent\.stun\.server/],
    ['still checking', { state: 'checking', server: 'stun.example.net:3478' }, 'warn', /no result yet/, /again/],
    ['no NAT', { ...DONE, natPresent: false, mapping: 'endpoint-independent', filtering: 'endpoint-independent' }, 'ok', /^no NAT: .* sees this box as 203\.0\.113\.5:40000/, undefined],
    ['no RFC 5780 on the server', { ...DONE, mapping: null, filtering: null }, 'warn', /does not support RFC 5780 \(no OTHER-ADDRESS\)/, /two addresses/],
    ['full cone', { ...DONE, mapping: 'endpoint-independent', filtering: 'endpoint-independent' }, 'ok', /^endpoint-independent mapping: phones behind it can be reached .*endpoint-independent filtering/, undefined],
    ['port-restricted cone', { ...DONE, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' }, 'ok', /^endpoint-independent mapping: phones behind it can be reached .*address-and-port-dependent filtering: .*keep their registration alive/, undefined],
    ['symmetric', { ...DONE, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' }, 'warn', /^symmetric NAT \(address-and-port-dependent mapping\): remote phones need the tunnel; direct media will fail/, /TURN relay|tunnel/],
    ['address-dependent mapping', { ...DONE, mapping: 'address-dependent', filtering: 'address-dependent' }, 'warn', /^symmetric NAT \(address-dependent mapping\): remote phones need the tunnel/, /phones on the LAN are not affected/],
  ];
  for (const [name, nat, status, says, todo] of rows) {
    const r = natCheck(nat);
    assert.equal(r.check, 'stun-nat', name);
    assert.equal(r.status, status, `${name}: ${r.says}`);
    assert.match(r.says, says, name);
    if (todo === undefined) assert.equal(r.todo, undefined, `${name}: no advice when all is well`);
    else assert.match(r.todo ?? '', todo, name);
  }
});

const THROUGH_1280 = ` 1?: [LOCALHOST]                      pmtu 1500
 1:  10.99.1.1                                             0.131ms 
 1:  10.99.1.1                                             0.034ms 
 2:  10.99.1.1                                             0.114ms pmtu 1280
 2:  10.99.2.2                                             0.082ms reached
     Resume: pmtu 1280 hops 2 back 2 
`;
const LOOPBACK = ` 1:  127.0.0.1                                             0.036ms reached
     Resume: pmtu 65535 hops 1 back 1 
`;
const HUB_SILENT = ` 1?: [LOCALHOST]                      pmtu 1500
 1:  10.99.1.1                                             0.042ms 
 1:  10.99.1.1                                             0.010ms 
 2:  10.99.1.1                                             0.011ms pmtu 1280
 2:  no reply
 3:  no reply
 4:  no reply
     Too many hops: pmtu 1280
     Resume: pmtu 1280 
`;
const CUT_SHORT = ` 1?: [LOCALHOST]                      pmtu 1492
 1:  192.168.1.1                                           0.512ms 
 2:  no reply
`;
const CACHED = ` 1?: [LOCALHOST]                      pmtu 1420
 1:  10.216.2.1                                            0.060ms 
 2:  10.216.3.2                                            2.545ms reached
     Resume: pmtu 1420 hops 2 back 2 
`;

test('tracepath output → the path MTU, whether the hub was reached, the hops', () => {
  const rows: [string, string, TracepathResult][] = [
    ['a 1280-byte link on the way', THROUGH_1280, { pmtu: 1280, reached: true, hops: 2 }],
    ['loopback', LOOPBACK, { pmtu: 65535, reached: true, hops: 1 }],
    ['the hub drops UDP: the routers still tell', HUB_SILENT, { pmtu: 1280, reached: false, hops: undefined }],
    ['cut short at the deadline: the last pmtu seen', CUT_SHORT, { pmtu: 1492, reached: false, hops: undefined }],
    ['the MTU already known to the kernel', CACHED, { pmtu: 1420, reached: true, hops: 2 }],
    ['nothing printed', '', { pmtu: undefined, reached: false, hops: undefined }],
    ['an error instead', 'tracepath: nohost: Name or service not known\n', { pmtu: undefined, reached: false, hops: undefined }],
  ];
  for (const [name, text, expected] of rows) assert.deepEqual(parseTracepath(text), expected, name);
});

test('path MTU toward the hub: ok from 1400 bytes, a warning below with what to do; not measured is a warning', () => {
  assert.equal(MIN_PATH_MTU, 1400);
  const at = (mtu: number): string => ` 1?: [LOCALHOST]                      pmtu ${mtu}\n 1:  10.0.0.1   0.1ms reached\n     Resume: pmtu ${mtu} hops 1 back 1 \n`;
  const rows: [string, MtuProbe, CheckStatus, RegExp, RegExp | undefined][] = [
    ['1500', { target: '198.51.100.2', output: at(1500) }, 'ok', /toward the hub \(198\.51\.100\.2\) is 1500 bytes \(1 hops, the hub reached\)/, undefined],
    ['exactly 1400', { target: '198.51.100.2', output: at(1400) }, 'ok', /is 1400 bytes/, undefined],
    ['1399', { target: '198.51.100.2', output: at(1399) }, 'warn', /is only 1399 bytes .*below 1400: SIP over UDP with SDP will be fragmented/, /tunnel .*TCP or TLS/],
    ['1280 with the hub reached', { target: '10.99.2.2', output: THROUGH_1280 }, 'warn', /is only 1280 bytes \(2 hops, the hub reached\)/, /PPPoE or VPN/],
    ['1280, the hub silent', { target: '10.99.2.2', output: HUB_SILENT }, 'warn', /is only 1280 bytes \(over the hops that answered \(the hub did not\)\)/, /TCP or TLS/],
    ['1492 cut short', { target: '10.99.2.2', output: CUT_SHORT }, 'ok', /is 1492 bytes \(over the hops that answered/, undefined],
    ['tracepath missing', { target: '10.99.2.2', error: 'ENOENT' }, 'warn', /not measured: tracepath is not installed/, /apt install iputils-tracepath/],
    ['no output', { target: 'hub.example', output: '', error: 'tracepath: hub.example: Name or service not known' }, 'warn', /could not be measured \(tracepath: hub\.example: Name or service not known\)/, /tracepath -n hub\.example/],
  ];
  for (const [name, probe, status, says, todo] of rows) {
    const r = mtuCheck(probe);
    assert.equal(r.check, 'path-mtu', name);
    assert.equal(r.status, status, `${name}: ${r.says}`);
    assert.match(r.says, says, name);
    if (todo === undefined) assert.equal(r.todo, undefined, `${name}: no advice when all is well`);
    else assert.match(r.todo ?? '', todo, name);
  }
});
