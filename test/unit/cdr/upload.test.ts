/**
 * The `cdr/1` upload (src/agent-cdr.ts → src/hub-cdr.ts) over an in-memory tunnel pair on a manual
 * clock, with the buffer and the store on real folders: batches of at most 200, the ack deletes,
 * the sender's name is stamped, bad records and batches are counted, a failed upload is retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/core/index.js';
import { AgentCdr, RETRY_MS } from '../../../src/agent-cdr.js';
import { hubCdrService, type HubCdrService } from '../../../src/hub-cdr.js';
import { CDR_STREAM_LABEL, decodeCdrAck, readCdrStore } from '../../../src/cdr/index.js';
import { StreamDispatcher, openLabeledStream, type TunnelStream } from '../../../src/tunnel/index.js';
import { connectedPair, settle, type Harness } from '../tunnel/harness.js';
import { cdr } from '../../support/cdr-records.js';

interface Rig {
  readonly h: Harness;
  readonly dir: string;
  readonly hub: HubCdrService;
  readonly agent: AgentCdr;
  /** How each stream the agent opened ended at the hub (true: reset). */
  readonly hubCloses: boolean[];
  done(): Promise<void>;
}

async function rig(o: { service?: boolean } = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-upload-'));
  const h = await connectedPair({ deadAfterMs: 3_600_000 });
  const hubSession = h.serverSessions[0];
  assert.ok(hubSession);
  const streams = new StreamDispatcher({ clock: h.clock });
  const hubCloses: boolean[] = [];
  hubSession.on('stream', (s) => {
    s.on('close', (c) => hubCloses.push(c.reset));
    streams.accept(hubSession, s);
  });
  streams.register('sip/1', () => {});
  const hub = hubCdrService({ streams, dir: join(dir, 'hub-cdr'), retentionDays: 90, clock: h.clock, logger: silentLogger, sbcName: () => 'branch-lyon', durable: false });
  if (o.service !== false) await hub.start();
  const agent = await AgentCdr.open({ dir: join(dir, 'agent-cdr'), clock: h.clock, logger: silentLogger, durable: false });
  agent.start(h.client);
  return {
    h, dir, hub, agent, hubCloses,
    done: async () => {
      await agent.close();
      await hub.close();
      h.client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends raw bytes as a `cdr/1` upload; resolves with the hub's answer, or 'reset'. */
function rawUpload(h: Harness, body: Buffer): Promise<ReturnType<typeof decodeCdrAck> | 'reset'> {
  const stream: TunnelStream = openLabeledStream(h.client, CDR_STREAM_LABEL);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d) => chunks.push(d));
    stream.on('end', () => resolve(decodeCdrAck(Buffer.concat(chunks))));
    stream.on('close', ({ reset }) => {
      if (reset) resolve('reset');
    });
    stream.write(body);
    stream.end();
  });
}

test('450 buffered records reach the hub in batches of at most 200 and leave the buffer; each stream ends cleanly', async () => {
  const r = await rig();
  try {
    await Promise.all(Array.from({ length: 450 }, (_, n) => r.agent.append(cdr(n))));
    await r.agent.idle();
    const stats = r.hub.stats();
    assert.equal(r.agent.status().pending, 0);
    assert.equal(r.agent.status().uploaded, 450);
    assert.ok(stats.batches >= 3, `${stats.batches} batches`);
    assert.equal(stats.store?.appended, 450);
    const kept = await readCdrStore(join(r.dir, 'hub-cdr'));
    assert.deepEqual(kept.records.map((x) => x.id), Array.from({ length: 450 }, (_, n) => cdr(n).id));
    await settle();
    assert.ok(r.hubCloses.length >= 3 && r.hubCloses.every((reset) => !reset), 'no stream was reset');
  } finally {
    await r.done();
  }
});

test('the hub stores each record under the sender\'s SBC name, whatever the record claims', async () => {
  const r = await rig();
  try {
    await r.agent.append(cdr(1, { agent: 'branch-paris' }));
    await r.agent.append(cdr(2));
    await r.agent.idle();
    const kept = await readCdrStore(join(r.dir, 'hub-cdr'));
    assert.deepEqual(kept.records.map((x) => x.agent), ['branch-lyon', 'branch-lyon']);
    assert.equal(r.hub.stats().relabeled, 1);
  } finally {
    await r.done();
  }
});

test('a second upload of the same ids is acknowledged again and stored once; bad records are rejected by id and counted', async () => {
  const r = await rig();
  try {
    const body = Buffer.from(JSON.stringify({ records: [cdr(1), cdr(2)] }));
    assert.deepEqual(await rawUpload(r.h, body), { acked: [cdr(1).id, cdr(2).id], rejected: [] });
    assert.deepEqual(await rawUpload(r.h, body), { acked: [cdr(1).id, cdr(2).id], rejected: [] });
    assert.equal(r.hub.stats().store?.appended, 2);
    assert.equal(r.hub.stats().store?.duplicates, 2);
    const mixed = Buffer.from(JSON.stringify({ records: [cdr(3), { ...cdr(4), direction: 'sideways' }, { caller: '1' }, cdr(5, { talkSeconds: -3 })] }));
    assert.deepEqual(await rawUpload(r.h, mixed), { acked: [cdr(3).id], rejected: [cdr(4).id, cdr(5).id] });
    assert.equal(r.hub.stats().rejected, 3, 'the record without an id counts too');
    assert.equal((await readCdrStore(join(r.dir, 'hub-cdr'))).records.length, 3);
  } finally {
    await r.done();
  }
});

const BAD_UPLOADS: readonly [string, Buffer][] = [
  ['not JSON', Buffer.from('records: none')],
  ['no records list', Buffer.from('{"records":7}')],
  ['more than 200 records', Buffer.from(JSON.stringify({ records: Array.from({ length: 201 }, (_, n) => cdr(n)) }))],
  ['an empty upload', Buffer.alloc(0)],
];

test('a malformed upload is answered by a reset and counted; nothing is stored', async () => {
  const r = await rig();
  try {
    for (const [name, body] of BAD_UPLOADS) assert.equal(await rawUpload(r.h, body), 'reset', name);
    assert.equal(r.hub.stats().badBatches, BAD_UPLOADS.length);
    assert.equal(r.hub.stats().store?.appended, 0);
  } finally {
    await r.done();
  }
});

test('a hub without the CDR service resets the upload: the records stay, and go once the hub takes them', async () => {
  const r = await rig({ service: false });
  try {
    await r.agent.append(cdr(1));
    await r.agent.idle();
    assert.equal(r.agent.status().pending, 1);
    assert.match(r.agent.status().lastError ?? '', /reset/);
    await r.hub.start();
    r.h.clock.advance(RETRY_MS);
    await r.agent.idle();
    assert.equal(r.agent.status().pending, 0);
    assert.equal(r.agent.status().lastError, undefined);
    assert.equal(r.hub.stats().store?.appended, 1);
  } finally {
    await r.done();
  }
});

test('a buffer that cannot be read stops the upload with the error shown, not the process; the record is kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-upload-broken-'));
  const h = await connectedPair({ deadAfterMs: 3_600_000 });
  const agent = await AgentCdr.open({ dir: join(dir, 'agent-cdr'), clock: h.clock, logger: silentLogger, durable: false });
  try {
    await agent.append(cdr(1));
    // Someone removed the batch file under the running agent.
    for (const name of await readdir(join(dir, 'agent-cdr'))) await rm(join(dir, 'agent-cdr', name));
    agent.start(h.client);
    await agent.idle();
    assert.match(agent.status().lastError ?? '', /ENOENT/);
    assert.equal(agent.status().pending, 1);
    assert.equal(agent.status().uploaded, 0);
  } finally {
    await agent.close();
    h.client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an agent may have 4 uploads open at once; a fifth is reset, the four are answered', async () => {
  const r = await rig();
  try {
    const held = [0, 1, 2, 3].map((n) => {
      const stream = openLabeledStream(r.h.client, CDR_STREAM_LABEL);
      const answer = new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        stream.on('data', (d) => chunks.push(d));
        stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
        stream.on('close', ({ reset }) => reset && resolve('reset'));
      });
      // Half a batch: the hub waits for the rest.
      const body = Buffer.from(JSON.stringify({ records: [cdr(n)] }));
      stream.write(body.subarray(0, 10));
      return { stream, body, answer };
    });
    await settle();
    assert.equal(await rawUpload(r.h, Buffer.from(JSON.stringify({ records: [cdr(9)] }))), 'reset');
    for (const h of held) {
      h.stream.write(h.body.subarray(10));
      h.stream.end();
    }
    assert.deepEqual(await Promise.all(held.map((h) => h.answer)), [0, 1, 2, 3].map((n) => JSON.stringify({ acked: [cdr(n).id], rejected: [] })));
    assert.equal(r.hub.stats().badBatches, 1);
    // The slots are free again.
    assert.deepEqual(await rawUpload(r.h, Buffer.from(JSON.stringify({ records: [cdr(9)] }))), { acked: [cdr(9).id], rejected: [] });
  } finally {
    await r.done();
  }
});
