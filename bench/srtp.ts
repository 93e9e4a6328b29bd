/**
 * npm run bench:srtp — what SRTP costs per 20 ms G.711 packet (12-byte header + 160 bytes), in
 * process on the real clock: our protect and unprotect for both suites, next to werift-rtp's
 * AES_CM_128_HMAC_SHA1_80 on the same packets (the reference: the SRTP of the werift family).
 * A call sends and receives 50 packets a second each way.
 */
import { RtpHeader, SrtpSession } from 'werift-rtp';
import { SrtpReceiver, SrtpSender, buildRtpPacket, type SrtpSuite } from '../src/rtp/index.js';

const N = 100_000;
const masterKey = Buffer.alloc(16, 3);
const masterSalt = Buffer.alloc(14, 5);
const payload = Buffer.alloc(160, 0x55);
const packet = (seq: number): Buffer => buildRtpPacket({ payloadType: 0, marker: false, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x1234 }, payload);

function measure(name: string, fn: (i: number) => void): number {
  for (let i = 0; i < 5000; i++) fn(i);
  const started = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  const us = ((performance.now() - started) * 1000) / N;
  process.stdout.write(`${name.padEnd(52)} ${us.toFixed(2).padStart(6)} µs/packet  (one core: ${(1e6 / us / 100).toFixed(0)} calls at 50 packets/s each way)\n`);
  return us;
}

const plain = Array.from({ length: 1024 }, (_, i) => packet(i));
for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SrtpSuite[]) {
  const sender = new SrtpSender({ suite, masterKey, masterSalt });
  measure(`ours ${suite} protect`, (i) => sender.protect(plain[i & 1023] ?? Buffer.alloc(0)));
  const source = new SrtpSender({ suite, masterKey, masterSalt });
  const protectedPackets = Array.from({ length: N + 5000 }, (_, i) => source.protect(packet(i)));
  const receiver = new SrtpReceiver({ suite, masterKey, masterSalt });
  let j = 0;
  measure(`ours ${suite} unprotect`, () => receiver.unprotect(protectedPackets[j++] ?? Buffer.alloc(0)));
}
const session = new SrtpSession({ keys: { localMasterKey: masterKey, localMasterSalt: masterSalt, remoteMasterKey: masterKey, remoteMasterSalt: masterSalt }, profile: 1 });
const header = new RtpHeader({ payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 0x1234, marker: false });
measure('werift-rtp AES_CM_128_HMAC_SHA1_80 protect', (i) => {
  header.sequenceNumber = i & 0xffff;
  session.encrypt(payload, header);
});
const theirs = new SrtpSender({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey, masterSalt });
const forWerift = Array.from({ length: N + 5000 }, (_, i) => theirs.protect(packet(i)));
let k = 0;
measure('werift-rtp AES_CM_128_HMAC_SHA1_80 unprotect', () => session.decrypt(forWerift[k++] ?? Buffer.alloc(0)));
