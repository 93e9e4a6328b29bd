/**
 * Two LANs: the agent's namespace has two veth links, each to a phone namespace with its own
 * subnet (10.202.1.0/24 and 10.202.2.0/24, only inside namespaces this test creates and
 * removes). `sbc-agent pnp --listen` names both interfaces; each phone's SUBSCRIBE reaches the
 * group socket over real multicast, and each phone gets its answers from, and a URL with, the
 * agent's address on its own subnet. Each phone then fetches its file from the provisioning
 * relay at that URL (a local template folder here): the relay on that LAN address fills in
 * the agent's address, and refuses a file for a phone nobody approved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupSubscribe, phones, removeNamespace, run, runPhone, startPnp } from '../support/pnp-e2e.js';

const GROUP_PORT = 14260;

function subscribe(mac: string): string[] {
  return groupSubscribe(mac, [
    `Contact: <sip:MAC${mac}@{ip}:{port}>`,
    'User-Agent: Grandstream GRP2612W 1.0.5.67',
    'Event: ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"',
  ]);
}

test('two LAN interfaces: each phone gets the agent address on its own subnet and its file from the relay there', async () => {
  const tag = String(process.pid % 100_000);
  const agent = `pnp2a-${tag}`;
  const lans = [1, 2].map((n) => ({ ns: `pnp2p${n}-${tag}`, agentIf: `pa${n}-${tag}`, phoneIf: `pp${n}-${tag}`, agentIp: `10.202.${n}.1`, phoneIp: `10.202.${n}.2` }));
  const dir = mkdtempSync(join(tmpdir(), 'pnp-2lan-'));
  try {
    run('ip', ['netns', 'add', agent]);
    run('ip', ['-n', agent, 'link', 'set', 'lo', 'up']);
    for (const l of lans) {
      run('ip', ['netns', 'add', l.ns]);
      run('ip', ['-n', agent, 'link', 'add', l.agentIf, 'type', 'veth', 'peer', 'name', l.phoneIf, 'netns', l.ns]);
      run('ip', ['-n', agent, 'addr', 'add', `${l.agentIp}/24`, 'dev', l.agentIf]);
      run('ip', ['-n', l.ns, 'addr', 'add', `${l.phoneIp}/24`, 'dev', l.phoneIf]);
      run('ip', ['-n', agent, 'link', 'set', l.agentIf, 'up']);
      run('ip', ['-n', l.ns, 'link', 'set', l.phoneIf, 'up']);
      run('ip', ['-n', l.ns, 'link', 'set', 'lo', 'up']);
    }
    const templates = join(dir, 'templates');
    mkdirSync(templates);
    for (const i of [1, 2]) writeFileSync(join(templates, `c074ad00000${i}.cfg`), '<P47>{{agent}}</P47><P35>{{extension}}</P35>\n');
    writeFileSync(join(templates, 'c074ad0000ff.cfg'), 'not for this phone\n');
    for (const i of [1, 2]) phones(['approve', `c074ad00000${i}`, '--extension', `20${i}`, '--state-dir', dir]);
    const pnp = await startPnp(agent, [
      '--listen', lans.map((l) => l.agentIf).join(','), '--port', String(GROUP_PORT), '--http-port', '14280',
      '--state-dir', dir, '--policy', 'inbox', '--templates', templates, '--log-level', 'warn',
    ]);
    let stats: Record<string, number> = {};
    try {
      const reports = await Promise.all(lans.map((l, i) => runPhone(l.ns, {
        bind: l.phoneIp, iface: l.phoneIp, group: '224.0.1.75', groupPort: GROUP_PORT, lines: subscribe(`c074ad00000${i + 1}`),
        answerNotify: true, listenMs: 800, fetch: [`c074ad00000${i + 1}.cfg`, 'c074ad0000ff.cfg'],
      })));
      for (const [i, l] of lans.entries()) {
        const r = reports[i]!;
        const ok = r.received.find((m) => m.text.startsWith('SIP/2.0 200 OK'));
        const notify = r.received.find((m) => m.text.startsWith('NOTIFY '));
        assert.equal(ok?.from, `${l.agentIp}:${GROUP_PORT}`, `LAN ${i + 1}: 200 from the agent's unicast socket on this LAN`);
        assert.equal(notify?.from, `${l.agentIp}:${GROUP_PORT}`);
        assert.equal(notify?.text.slice(notify.text.indexOf('\r\n\r\n') + 4), `http://${l.agentIp}:14280/`);
        assert.match(notify?.text ?? '', new RegExp(`^Contact: <sip:${l.agentIp.replaceAll('.', '\\.')}:${GROUP_PORT}>\\r$`, 'm'));
        assert.equal(r.received.filter((m) => m.text.startsWith('NOTIFY ')).length, 1);
        assert.deepEqual(r.fetched.map((f) => [f.url, f.status, f.body]), [
          [`http://${l.agentIp}:14280/c074ad00000${i + 1}.cfg`, 200, `<P47>${l.agentIp}</P47><P35>20${i + 1}</P35>\n`],
          [`http://${l.agentIp}:14280/c074ad0000ff.cfg`, 403, ''],
        ]);
      }
    } finally {
      stats = (await pnp.stop()).stats;
    }
    assert.equal(stats['answered'], 2);
    assert.equal(stats['notifyAnswered'], 2);
  } finally {
    for (const l of lans) removeNamespace(l.ns);
    removeNamespace(agent);
    rmSync(dir, { recursive: true, force: true });
  }
});
