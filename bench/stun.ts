/**
 * STUN Binding throughput: our server (`sbc-agent stun-server`, one Node process) and coturn
 * (`turnserver --stun-only`), both on 127.0.0.1, driven in the same run by the same load
 * generator: this process, with several UDP sockets each keeping a window of requests in flight.
 * Each server gets the same number of rounds of a fixed duration, alternating. Prints answered
 * requests per second, CPU per request of each server process (/proc/PID/stat), and the ratio
 * ours / coturn (target ≥ 0.5). On a shared 2-core machine the load generator competes with the
 * servers, so the CPU-per-request ratio is printed too (coturn ÷ ours, target ≥ 0.75): it depends
 * much less on the other load. CPU is read from /proc/PID/stat of each server process (all its
 * threads, user and system time) around each of its rounds.
 * Run: npm run bench:stun
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeStun } from '../src/stun/index.js';

const OURS_PORT = 16300;
const COTURN_PORT = 16310;
const SOCKETS = 8;
const WINDOW = 32;
const ROUND_MS = 3000;
const ROUNDS = 3;
const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function request(id: number): Buffer {
  const tid = Buffer.alloc(12);
  tid.writeUInt32BE(id >>> 0, 8);
  return encodeStun({ method: 1, messageClass: 'request', transactionId: tid, attributes: [] });
}

/** One load round: every socket keeps WINDOW requests in flight; lost ones are topped up. */
async function round(port: number): Promise<number> {
  const sockets: Socket[] = [];
  let answered = 0;
  let id = 0;
  let running = true;
  const lastAnswer: number[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(1 << 20);
    socket.on('message', () => {
      if (!running) return;
      answered++;
      lastAnswer[i] = performance.now();
      socket.send(request(id++), port, '127.0.0.1');
    });
    sockets.push(socket);
    lastAnswer.push(performance.now());
  }
  const fill = (i: number): void => {
    for (let k = 0; k < WINDOW; k++) sockets[i]?.send(request(id++), port, '127.0.0.1');
  };
  sockets.forEach((_, i) => fill(i));
  const topUp = setInterval(() => {
    const now = performance.now();
    sockets.forEach((_, i) => {
      if (now - (lastAnswer[i] ?? now) > 200) {
        lastAnswer[i] = now;
        fill(i);
      }
    });
  }, 50);
  const started = performance.now();
  await sleep(ROUND_MS);
  running = false;
  clearInterval(topUp);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return answered / seconds;
}

function startProcess(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const ours = startProcess(process.execPath, [MAIN, 'stun-server', '--listen', `127.0.0.1:${OURS_PORT}`, '--rate-limit', '0', '--log-level', 'warn']);
  const coturn = startProcess('turnserver', ['-n', '--stun-only', '-L', '127.0.0.1', '-p', String(COTURN_PORT), '--no-tls', '--no-dtls', '--no-cli', '--log-file', 'stdout', '--simple-log', '--pidfile', `/tmp/stun-bench-${process.pid}.pid`]);
  try {
    await sleep(1500);
    const targets = [
      { name: 'sbc-agent', port: OURS_PORT, pid: ours.pid ?? 0, rates: [] as number[], cpu: 0 },
      { name: 'coturn', port: COTURN_PORT, pid: coturn.pid ?? 0, rates: [] as number[], cpu: 0 },
    ];
    // Warm-up (JIT, coturn threads), not counted.
    for (const t of targets) await round(t.port).catch(() => 0);
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of targets) {
        const before = cpuSeconds(t.pid);
        t.rates.push(await round(t.port));
        t.cpu += cpuSeconds(t.pid) - before;
      }
    }
    console.log(`STUN Binding requests on 127.0.0.1: ${SOCKETS} sockets × ${WINDOW} in flight, ${ROUNDS} rounds of ${ROUND_MS / 1000} s per server, alternating`);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const perRequest: number[] = [];
    for (const t of targets) {
      const rate = mean(t.rates);
      const requests = rate * (ROUND_MS / 1000) * ROUNDS;
      perRequest.push((t.cpu / requests) * 1e6);
      const rounds = t.rates.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
      console.log(`${t.name.padEnd(10)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} answered/s (rounds: ${rounds})   CPU ${(perRequest.at(-1) ?? 0).toFixed(1)} µs per request (server process)`);
    }
    const ratio = mean(targets[0]?.rates ?? [0]) / mean(targets[1]?.rates ?? [1]);
    console.log(`ratio sbc-agent / coturn, answered/s: ${ratio.toFixed(2)} (target ≥ 0.5) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`);
    const cpuRatio = (perRequest[1] ?? 0) / (perRequest[0] ?? 1);
    console.log(`ratio by CPU per request (coturn µs / sbc-agent µs): ${cpuRatio.toFixed(2)} (target ≥ 0.75) ${cpuRatio >= 0.75 ? 'OK' : 'BELOW TARGET'}`);
  } finally {
    await stop(ours);
    await stop(coturn);
  }
}

await main();
