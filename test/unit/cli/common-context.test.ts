import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args.js';
import { commonContext } from '../../../src/cli/hub-common.js';

const SPEC = { values: ['config', 'state-dir'] };

test('without --config, $CONFIGURATION_DIRECTORY/<role>.yaml is read when it exists; $STATE_DIRECTORY places the state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-confdir-'));
  const saved = { CONFIGURATION_DIRECTORY: process.env['CONFIGURATION_DIRECTORY'], STATE_DIRECTORY: process.env['STATE_DIRECTORY'] };
  t.after(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(join(dir, 'hub.yaml'), 'stateDir: /srv/hub-state\nlog:\n  level: debug\n');
  await writeFile(join(dir, 'other.yaml'), 'log:\n  level: error\n');
  process.env['CONFIGURATION_DIRECTORY'] = dir;
  process.env['STATE_DIRECTORY'] = '/var/lib/from-systemd';

  const hub = await commonContext(parseArgs([], SPEC), 'hub');
  assert.equal(hub.config.log.level, 'debug');
  assert.equal(hub.stateDir, '/srv/hub-state', 'the configuration file wins over $STATE_DIRECTORY');

  const agent = await commonContext(parseArgs([], SPEC), 'agent');
  assert.equal(agent.config.log.level, 'info', 'no agent.yaml there: the defaults, no error');
  assert.equal(agent.stateDir, '/var/lib/from-systemd');

  const named = await commonContext(parseArgs(['--config', join(dir, 'other.yaml'), '--state-dir', '/flag'], SPEC), 'hub');
  assert.equal(named.config.log.level, 'error', '--config wins over the implied file');
  assert.equal(named.stateDir, '/flag');

  await assert.rejects(commonContext(parseArgs(['--config', join(dir, 'absent.yaml')], SPEC), 'hub'), { code: 'SBC_ERR_CONFIG' });
});
