/**
 * Memory of completed server transactions. Runs CALLS calls through one TransactionLayer as a UAS
 * sees them over UDP (INVITE with SDP answered 200 with SDP, its ACK, a BYE answered 200), with a
 * clock that does not move, so every INVITE (Timer L) and BYE (Timer J) transaction is still held
 * when the heap is measured, as it is for 32 s in service. The TU keeps nothing. Prints the heap
 * per call and per completed transaction (two per call), the layer's counters, and the CPU time per
 * call of the layer with the parse of each message; then the same for the client side (INVITE
 * answered 200, held for Timer M; BYE answered 200, held for Timer K). Run: npm run bench:transactions
 */
import type { Clock, Timer } from '../src/core/index.js';
import { buildResponse, parseMessage, type SipRequest } from '../src/sip/index.js';
import { TransactionLayer, type ServerTransaction, type TransactionSource } from '../src/sip/transaction/index.js';

const CALLS = Number(process.env['BENCH_CALLS'] ?? 50_000);
const SOURCE: TransactionSource = { transport: 'UDP', address: '192.0.2.101', port: 5060 };

const SDP = [
  'v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.101', 's=-', 'c=IN IP4 192.0.2.101', 't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');

function wire(method: string, i: number, cseq: number, toTag: string, body: string): Buffer {
  return Buffer.from([
    `${method} sip:bob@192.0.2.20:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK-${method === 'ACK' ? 'INVITE' : method}-${i};rport`,
    'Max-Forwards: 70',
    `To: <sip:bob@192.0.2.20>${toTag === '' ? '' : `;tag=${toTag}`}`,
    `From: "Alice" <sip:alice@192.0.2.101>;tag=from-${i}`,
    `Call-ID: call-${i}@192.0.2.101`,
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:alice@192.0.2.101:5060>',
    'User-Agent: SIPp',
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n'));
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / (1 << 20);
}

/** Time that does not move; a cancelled timer is forgotten at once, as with the real clock (ManualClock keeps them until it advances). */
class StillClock implements Clock {
  readonly pending = new Set<() => void>();
  now(): number {
    return 1_000;
  }
  wallNow(): number {
    return Date.UTC(2026, 0, 1);
  }
  setTimeout(callback: () => void): Timer {
    this.pending.add(callback);
    return { cancel: () => this.pending.delete(callback) };
  }
  setInterval(callback: () => void): Timer {
    return this.setTimeout(callback);
  }
}

const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
const clock = new StillClock();
let sentBytes = 0;
const body = Buffer.from(SDP);
const layer = new TransactionLayer({
  clock,
  transport: {
    send: () => { sentBytes++; },
    sendSerialized: (bytes) => { sentBytes += bytes.length; },
  },
  user: {
    onRequest: (request: SipRequest, tx: ServerTransaction) => {
      const toTag = request.method === 'INVITE' ? `uas-${request.headers.length}` : undefined;
      tx.respond(buildResponse(request, 200, undefined, [{ name: 'Contact', value: '<sip:bob@192.0.2.20:5060>' }], request.method === 'INVITE' ? body : Buffer.alloc(0), toTag === undefined ? {} : { toTag }));
    },
  },
  maxTransactions: 10_000_000,
});

const before = heapMiB();
const cpuStart = process.cpuUsage();
for (let i = 0; i < CALLS; i++) {
  layer.receive(parseMessage(wire('INVITE', i, 1, '', SDP)), SOURCE);
  layer.receive(parseMessage(wire('ACK', i, 1, 'uas', '')), SOURCE);
  layer.receive(parseMessage(wire('BYE', i, 2, 'uas', '')), SOURCE);
  // A WeakRef keeps its target until the current job ends; in service each datagram is a job.
  if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
}
const cpu = process.cpuUsage(cpuStart);
await new Promise((resolve) => setImmediate(resolve));
const after = heapMiB();
const counters = layer.counters() as unknown as Record<string, number>;
const held = (counters['serverTransactions'] ?? 0) + (counters['completedTransactions'] ?? 0);
const perCall = ((after - before) * (1 << 20)) / CALLS;
console.log(`Completed server transactions, ${CALLS.toLocaleString('en-US')} calls (INVITE 200 + ACK + BYE 200) over UDP, clock held still; Node ${process.version}${gcExposed ? '' : ' (no --expose-gc: heap figures include garbage)'}`);
console.log(`counters: ${JSON.stringify(counters)}`);
console.log(`transactions held: ${held.toLocaleString('en-US')} (live ${counters['serverTransactions'] ?? 0}, overloaded 503s ${counters['overloaded'] ?? 0})`);
console.log(`heap: ${before.toFixed(1)} MiB → ${after.toFixed(1)} MiB; ${Math.round(perCall).toLocaleString('en-US')} bytes per call, ${Math.round(perCall / 2).toLocaleString('en-US')} bytes per completed transaction`);
console.log(`timers pending: ${clock.pending.size}`);
console.log(`CPU (parse + layer + TU answer): ${(((cpu.user + cpu.system) / CALLS)).toFixed(1)} µs per call`);
layer.close();

// The UAC side (the hub toward the PBX): INVITE answered 200 (client Accepted, Timer M) and BYE
// answered 200 (client Completed, Timer K); the TU forgets each transaction once answered.
const uacClock = new StillClock();
const uac = new TransactionLayer({
  clock: uacClock,
  transport: { send: () => { sentBytes++; }, sendSerialized: (bytes) => { sentBytes += bytes.length; } },
  user: { onRequest: () => {} },
  maxTransactions: 10_000_000,
});
const target = { transport: 'UDP' as const, host: '192.0.2.20', port: 5060 };
const uacUser = { onResponse: () => {} };
const uacBefore = heapMiB();
for (let i = 0; i < CALLS; i++) {
  const invite = parseMessage(wire('INVITE', i, 1, '', SDP)) as SipRequest;
  uac.sendRequest(invite, target, uacUser);
  uac.receive(buildResponse(invite, 200, undefined, [], body, { toTag: 'uas' }), SOURCE);
  const bye = parseMessage(wire('BYE', i, 2, 'uas', '')) as SipRequest;
  uac.sendRequest(bye, target, uacUser);
  uac.receive(buildResponse(bye, 200), SOURCE);
  if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
}
await new Promise((resolve) => setImmediate(resolve));
const uacAfter = heapMiB();
const uacCounters = uac.counters() as unknown as Record<string, number>;
const uacPerCall = ((uacAfter - uacBefore) * (1 << 20)) / CALLS;
console.log(`client side, ${CALLS.toLocaleString('en-US')} calls (INVITE → 200, BYE → 200): live ${uacCounters['clientTransactions'] ?? 0}, kept as records ${uacCounters['completedClientTransactions'] ?? 0}`);
console.log(`heap: ${uacBefore.toFixed(1)} MiB → ${uacAfter.toFixed(1)} MiB; ${Math.round(uacPerCall).toLocaleString('en-US')} bytes per call, ${Math.round(uacPerCall / 2).toLocaleString('en-US')} bytes per completed client transaction`);
uac.close();
void sentBytes;
