/**
 * Which call path takes a phone's request in `agent.calls: auto` (survival/dispatch.ts), as a
 * table over methods, dialog membership and the three modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchTarget, type DispatchTarget, type SurvivalMode } from '../../../src/survival/index.js';

const ROWS: [method: string, inDialog: boolean, mode: SurvivalMode, expected: DispatchTarget][] = [
  ['INVITE', false, 'normal', 'pbx'],
  ['REGISTER', false, 'normal', 'pbx'],
  ['OPTIONS', false, 'normal', 'pbx'],
  ['SUBSCRIBE', false, 'normal', 'pbx'],
  ['INVITE', false, 'survival', 'local'],
  ['REGISTER', false, 'survival', 'local'],
  ['OPTIONS', false, 'survival', 'local'],
  // BLF in survival: the agent notifies its own calls' dialog states (other packages get 489 there).
  ['SUBSCRIBE', false, 'survival', 'local'],
  ['SUBSCRIBE', false, 'failing-back', 'local'],
  // Pager mode and PUBLISH need the PBX: the path toward it answers (503 while the tunnel is down).
  ['SUBSCRIBE', true, 'survival', 'in-dialog'],
  ['MESSAGE', false, 'survival', 'pbx'],
  ['PUBLISH', false, 'survival', 'pbx'],
  // Failing back: the PBX has not got every binding yet, so new calls stay local.
  ['INVITE', false, 'failing-back', 'local'],
  ['REGISTER', false, 'failing-back', 'local'],
  // Whatever the mode: requests inside a dialog, ACK and CANCEL go to whoever owns them.
  ['BYE', true, 'normal', 'in-dialog'],
  ['BYE', true, 'survival', 'in-dialog'],
  ['INVITE', true, 'survival', 'in-dialog'],
  ['INVITE', true, 'normal', 'in-dialog'],
  ['ACK', false, 'normal', 'in-dialog'],
  ['ACK', false, 'survival', 'in-dialog'],
  ['CANCEL', false, 'survival', 'in-dialog'],
  ['CANCEL', false, 'failing-back', 'in-dialog'],
];

test('dispatch table: method, dialog and mode → the call path', () => {
  for (const [method, inDialog, mode, expected] of ROWS) {
    assert.equal(dispatchTarget(method, inDialog, mode), expected, `${method} ${inDialog ? 'in dialog' : 'new'} in ${mode}`);
  }
});
