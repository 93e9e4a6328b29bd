/**
 * Paging numbers in the routing model (issue 13): read with defaults, each invalid field refused
 * with its path, part of the numbering plan, dialled by the branch's extensions only, written back
 * by routing-doc and kept in a branch's snapshot only when the branch has their target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { EMPTY_ROUTING_STATE, branchModel, decide, routingModelToDoc, validateRoutingModel } from '../../../src/routing/index.js';

type Obj = Record<string, unknown>;
const H = '0123456789abcdef0123456789abcdef';

function base(): Obj {
  return {
    realm: 'pbx.example',
    extensions: [{ number: '101', name: 'A', ha1: H }, { number: '102', name: 'B', ha1: H, homeAgent: 'other' }],
    ringGroups: [{ number: '600', name: 'G', members: ['101', '102'] }, { number: '601', name: 'Away', members: ['102'] }],
    inbound: [{ name: 'main', did: '*', destination: 'extension:101' }],
  };
}
const withPaging = (...paging: unknown[]): Obj => ({ ...base(), paging });

test('paging: defaults (page mode, Answer-Mode asked, 10 s), intercom to an extension, written back as read', () => {
  const model = validateRoutingModel(withPaging({ number: '8500', name: 'All', target: 'ring-group:600' }, { number: '8501', name: 'Desk', target: 'extension:101', mode: 'intercom', answerMode: false, ringSeconds: 5 }));
  assert.deepEqual(model.paging, [
    { number: '8500', name: 'All', target: { kind: 'ring-group', number: '600' }, mode: 'page', answerMode: true, ringSeconds: 10 },
    { number: '8501', name: 'Desk', target: { kind: 'extension', number: '101' }, mode: 'intercom', answerMode: false, ringSeconds: 5 },
  ]);
  assert.deepEqual(validateRoutingModel(routingModelToDoc(model)).paging, model.paging);
  assert.equal(validateRoutingModel(base()).paging, undefined, 'a model without paging has no such field');
});

test('paging: every invalid field is refused with its path', () => {
  const table: Array<[string, Obj, string]> = [
    ['not a list', { ...base(), paging: { number: '8500' } }, 'paging'],
    ['null entry', withPaging(null), 'paging[0]'],
    ['unknown field', withPaging({ number: '8500', name: 'P', target: 'extension:101', volume: 5 }), 'paging[0].volume'],
    ['no number', withPaging({ name: 'P', target: 'extension:101' }), 'paging[0].number'],
    ['number not digits', withPaging({ number: '85a0', name: 'P', target: 'extension:101' }), 'paging[0].number'],
    ['number of an extension', withPaging({ number: '101', name: 'P', target: 'extension:101' }), 'paging[0].number'],
    ['number twice', withPaging({ number: '8500', name: 'P', target: 'extension:101' }, { number: '8500', name: 'Q', target: 'extension:101' }), 'paging[1].number'],
    ['no name', withPaging({ number: '8500', target: 'extension:101' }), 'paging[0].name'],
    ['no target', withPaging({ number: '8500', name: 'P' }), 'paging[0].target'],
    ['target a queue', withPaging({ number: '8500', name: 'P', target: 'queue:8000' }), 'paging[0].target'],
    ['target without number', withPaging({ number: '8500', name: 'P', target: 'extension:' }), 'paging[0].target'],
    ['target unknown extension', withPaging({ number: '8500', name: 'P', target: 'extension:199' }), 'paging[0].target'],
    ['target unknown group', withPaging({ number: '8500', name: 'P', target: 'ring-group:699' }), 'paging[0].target'],
    ['mode unknown', withPaging({ number: '8500', name: 'P', target: 'extension:101', mode: 'broadcast' }), 'paging[0].mode'],
    ['intercom to a group', withPaging({ number: '8500', name: 'P', target: 'ring-group:600', mode: 'intercom' }), 'paging[0].target'],
    ['answerMode not boolean', withPaging({ number: '8500', name: 'P', target: 'extension:101', answerMode: 'yes' }), 'paging[0].answerMode'],
    ['ringSeconds 0', withPaging({ number: '8500', name: 'P', target: 'extension:101', ringSeconds: 0 }), 'paging[0].ringSeconds'],
    ['ringSeconds too long', withPaging({ number: '8500', name: 'P', target: 'extension:101', ringSeconds: 121 }), 'paging[0].ringSeconds'],
  ];
  for (const [what, doc, path] of table) {
    assert.throws(() => validateRoutingModel(doc), (error: unknown) => error instanceof ConfigError && error.path === path, what);
  }
});

test('paging: an extension dialling the number gets a page plan; an external caller to it does not', () => {
  const model = validateRoutingModel(withPaging({ number: '8500', name: 'All', target: 'ring-group:600' }));
  const call = { caller: '101', dialled: '8500', origin: 'internal' as const, agent: 'b1', pbxReachable: true };
  assert.deepEqual(decide(call, model, EMPTY_ROUTING_STATE, 0), { kind: 'page', number: '8500' });
  assert.notEqual(decide({ ...call, caller: '+4420', origin: 'external' }, model, EMPTY_ROUTING_STATE, 0).kind, 'page');
});

test('paging in a branch snapshot: kept when the branch has its target, dropped when not', () => {
  const model = validateRoutingModel(withPaging(
    { number: '8500', name: 'All', target: 'ring-group:600' },
    { number: '8501', name: 'Away group', target: 'ring-group:601' },
    { number: '8502', name: 'Away desk', target: 'extension:102' },
  ));
  assert.deepEqual(branchModel(model, 'b1').paging?.map((p) => p.number), ['8500']);
  assert.deepEqual(branchModel(model, 'other').paging?.map((p) => p.number), ['8500', '8501', '8502']);
  const none = validateRoutingModel(withPaging({ number: '8502', name: 'Away desk', target: 'extension:102' }));
  assert.equal(branchModel(none, 'b1').paging, undefined);
});
