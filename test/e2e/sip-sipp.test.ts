/**
 * SIPp's built-in `uac` scenario (INVITE, 100/180/200, ACK, hold, BYE) makes 1,000 calls at
 * 100 calls/s to a UAS built on our stack, over UDP and over TCP: every call must succeed
 * (SIPp exit code 0, SuccessfulCall = 1000, FailedCall = 0 in its stats CSV).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSipStack } from '../../src/cli/sip-sockets.js';
import { UserAgent, type SipStack } from '../../src/sip/index.js';
import { runSippUac } from '../support/sipp.js';

const CALLS = 1000;
const RATE = 100;

let stack: SipStack;
let ua: UserAgent;

before(async () => {
  stack = await openSipStack({ address: '127.0.0.1', udpPort: 0, tcpPort: 0 });
  ua = new UserAgent({ endpoint: stack });
  stack.onRequest(ua.handleRequest);
});

after(async () => {
  ua.close();
  await stack.close();
});

for (const [name, transport, sippPort] of [['UDP', 'u1', 15070], ['TCP', 't1', 15071]] as const) {
  test(`SIPp uac: ${CALLS} calls at ${RATE} calls/s over ${name}, none failed`, { timeout: 120_000 }, async (t) => {
    const before = ua.counters();
    const port = stack.transport.localAddress(name)?.port;
    assert.ok(port !== undefined);
    const result = await runSippUac({
      remote: `127.0.0.1:${port}`, localPort: sippPort, transport, calls: CALLS, rate: RATE, holdMs: 200, timeoutS: 60,
    });
    t.diagnostic(`${name}: ${result.successful} successful, ${result.failed} failed, CallRate(C) ${result.callRate} calls/s, ${result.elapsedS.toFixed(1)} s`);
    assert.equal(result.exitCode, 0, result.output);
    assert.equal(result.successful, CALLS, result.output);
    assert.equal(result.failed, 0, result.output);
    const after = ua.counters();
    assert.equal(after.invites - before.invites, CALLS);
    assert.equal(after.byes - before.byes, CALLS);
    assert.equal(ua.dialogCount, 0);
  });
}
