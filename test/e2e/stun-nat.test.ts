/**
 * Our client behind real Linux NATs, in network namespaces this test creates (root needed):
 * client ns → NAT ns (nftables) → server ns with two addresses running our STUN server.
 * Each row loads a NAT rule set and checks the RFC 5780 verdicts. Topology and rules:
 * scripts/testbed/stun-nat.sh. The namespaces are removed in `after`, also on failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { behaviourFromCoturn, MAIN, run, start, type Started } from './stun-process.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'testbed', 'stun-nat.sh');
// Unique per run (pid), short enough for interface names (≤ 15 characters with the suffixes).
const TAG = `sn${process.pid % 1_000_000}`;
let server: Started | undefined;

async function testbed(...args: string[]): Promise<void> {
  const result = await run('bash', [SCRIPT, ...args], 30_000);
  assert.equal(result.code, 0, `stun-nat.sh ${args.join(' ')}: ${result.stderr}`);
}

before(async () => {
  // Also on an exit that skips `after` (an uncaught error): the namespaces never outlive the run.
  process.once('exit', () => spawnSync('bash', [SCRIPT, 'down', TAG]));
  await testbed('up', TAG);
  server = await start('ip', ['netns', 'exec', `${TAG}s`, process.execPath, MAIN, 'stun-server', '--listen', '10.200.2.2:3478', '--alternate', '10.200.2.3:3479'], /stun-server listening/u);
});

after(async () => {
  await server?.stop();
  await run('bash', [SCRIPT, 'down', TAG], 30_000);
  const left = await run('ip', ['netns', 'list']);
  assert.doesNotMatch(left.stdout, new RegExp(`^${TAG}[cns]\\b`, 'mu'), 'namespaces removed');
});

interface Row {
  readonly mode: 'plain' | 'random' | 'fullcone' | 'adf';
  readonly what: string;
  readonly port: number;
  readonly mapping: (m: unknown) => boolean;
  readonly filtering: string;
  /** Cross-check with turnutils_natdiscovery (it uses its own random ports, so not for the rules tied to one port). */
  readonly coturn: boolean;
}

const ROWS: readonly Row[] = [
  { mode: 'plain', what: 'plain masquerade', port: 41001, mapping: (m) => m === 'endpoint-independent', filtering: 'address-and-port-dependent', coturn: true },
  { mode: 'random', what: 'masquerade --random-fully', port: 41002, mapping: (m) => m === 'address-dependent' || m === 'address-and-port-dependent', filtering: 'address-and-port-dependent', coturn: true },
  { mode: 'fullcone', what: 'masquerade + inbound forward', port: 41003, mapping: (m) => m === 'endpoint-independent', filtering: 'endpoint-independent', coturn: false },
  { mode: 'adf', what: "inbound forward, but new packets from the server's other address dropped", port: 41004, mapping: (m) => m === 'endpoint-independent', filtering: 'address-dependent', coturn: false },
];

for (const row of ROWS) {
  test(`NAT ${row.what}: mapping and filtering verdicts`, async () => {
    await testbed('nat', TAG, row.mode, String(row.port));
    const result = await run('ip', ['netns', 'exec', `${TAG}c`, process.execPath, MAIN, 'stun', '--server', '10.200.2.2:3478', '--nat', '--json', '--timeout', '2', '--local', `10.200.1.2:${row.port}`], 60_000);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(report['natPresent'], true);
    assert.equal(report['localAddress'], `10.200.1.2:${row.port}`);
    assert.match(String(report['mappedAddress']), /^10\.200\.2\.1:\d+$/u);
    assert.ok(row.mapping(report['mapping']), `mapping ${String(report['mapping'])}`);
    assert.equal(report['filtering'], row.filtering);
    assert.equal(report['hairpin'], false, 'these rule sets do not hairpin');
    if (row.mode === 'plain') assert.equal(report['mappedAddress'], `10.200.2.1:${row.port}`, 'masquerade keeps the port');
    if (row.coturn) {
      const theirs = await run('ip', ['netns', 'exec', `${TAG}c`, 'turnutils_natdiscovery', '-m', '-f', '-p', '3478', '10.200.2.2'], 60_000);
      assert.equal(report['mapping'], behaviourFromCoturn(theirs.stdout, 'Mapping'), theirs.stdout);
      assert.equal(report['filtering'], behaviourFromCoturn(theirs.stdout, 'Filtering'), theirs.stdout);
    }
  });
}
