/**
 * A password guesser, run inside a test namespace: REGISTERs for one user from one address, each
 * answered challenge (401 with a Digest WWW-Authenticate) followed by a REGISTER carrying a real
 * RFC 2617/7616 MD5 digest of a wrong password, `count` times. Each answer is awaited at most
 * `waitMs`; after five attempts in a row without an answer (the source is blocked) the rest are
 * sent without waiting, so 1,000 attempts end in seconds. Prints one JSON line: what was sent and
 * what came back.
 *
 * With MODE `noanswer` each challenge is left unanswered (a scanner probing for accounts).
 *
 * node register-flood.js TARGET_HOST TARGET_PORT LOCAL_ADDRESS COUNT USER DOMAIN PASSWORD [WAIT_MS] [MODE]
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const [host = '', portText = '', local = '', countText = '', user = '', domain = '', password = '', waitText = '300', mode = 'guess'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const waitMs = Number(waitText);
const socket = createSocket('udp4');
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

let pending: ((text: string | undefined) => void) | undefined;
socket.on('message', (data) => {
  const resolve = pending;
  pending = undefined;
  resolve?.(data.toString('latin1'));
});

function exchange(text: string, wait: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    socket.send(Buffer.from(text, 'latin1'), port, host);
    if (!wait) {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => {
      pending = undefined;
      resolve(undefined);
    }, waitMs);
    pending = (t) => {
      clearTimeout(timer);
      resolve(t);
    };
  });
}

function register(callId: string, cseq: number, authorization: string | undefined): string {
  const { port: localPort } = socket.address();
  return [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local}:${localPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${domain}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@${local}:${localPort}>`,
    'Expires: 300',
    'User-Agent: guesser',
    ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function param(header: string, name: string): string | undefined {
  return new RegExp(`${name}="?([^",]*)"?`, 'i').exec(header)?.[1];
}

function digest(challenge: string, uri: string): string {
  const realm = param(challenge, 'realm') ?? domain;
  const nonce = param(challenge, 'nonce') ?? '';
  const qop = param(challenge, 'qop');
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`REGISTER:${uri}`);
  if (qop === undefined) return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${md5(`${ha1}:${nonce}:${ha2}`)}", algorithm=MD5`;
  const cnonce = randomBytes(8).toString('hex');
  const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
}

function status(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^SIP\/2\.0 (\d{3})/.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

socket.bind(0, local, () => {
  void (async () => {
    const statuses: Record<string, number> = {};
    let sent = 0;
    let silent = 0;
    let lastChallenge = `Digest realm="${domain}", nonce="none"`;
    for (let i = 0; i < count; i++) {
      const wait = silent < 5;
      const callId = `guess-${i}-${randomBytes(4).toString('hex')}`;
      const first = await exchange(register(callId, 1, undefined), wait);
      sent++;
      const challenge = first === undefined ? undefined : /^WWW-Authenticate:\s*(.*)$/im.exec(first)?.[1];
      if (challenge !== undefined) lastChallenge = challenge;
      const second = mode === 'noanswer' ? undefined : await exchange(register(callId, 2, digest(lastChallenge, `sip:${domain}`)), wait);
      if (mode !== 'noanswer') sent++;
      for (const s of [status(first), status(second)]) if (s !== undefined) statuses[s] = (statuses[s] ?? 0) + 1;
      silent = first === undefined && second === undefined ? silent + 1 : 0;
      // Without waiting, pace the rest a little: this is a password guesser, not a flood.
      if (!wait && i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    // Answers to the last attempts may still arrive.
    await new Promise((r) => setTimeout(r, waitMs));
    process.stdout.write(`${JSON.stringify({ attempts: count, sent, statuses })}\n`);
    socket.close();
  })();
});
