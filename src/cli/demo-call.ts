/**
 * `sbc-agent demo --call`: a test call through a running demo (issue 12, "What must be shown" 3).
 * Two built-in phones (demo-phone.ts) register as 1001 and 1002 to the demo's agent, found in the
 * demo's well-known file (`<state>/demo.json`, demo-model.ts); 1001 calls 1002 through agent,
 * tunnel, hub and the built-in PBX; 1002 answers; each sends a tone of its own frequency as PCMU
 * for 2 s, and each checks that the other's tone arrived (packets counted, the dominant frequency
 * found by Goertzel). Then BYE and unregister. Prints
 * `audio 1001→1002: N packets, 1002→1001: M packets, OK` and exits 0; else says what failed:
 * exit 4 when no demo runs there, 20 when a phone's registration is refused, 5 when the call or
 * its audio fails.
 */
import { RegisterError } from '../sip/index.js';
import type { CommandIo } from './command.js';
import { DemoPhone, type DemoPhoneOptions, type ReceivedAudio } from './demo-phone.js';
import { readDemoInfo, type DemoAccount, type DemoInfo } from './demo-model.js';
import { EXIT } from './exit-codes.js';

const CALLER = '1001';
const CALLEE = '1002';
/** Different and not harmonics of each other, so each side can tell the other's tone from its own. */
const TONES: Readonly<Record<string, number>> = { [CALLER]: 440, [CALLEE]: 1000 };
const TONE_MS = 2000;
/** Packets that may still be on their way when the tones end. */
const TAIL_MS = 400;
/** At least half of the 100 packets of a 2 s tone must arrive. */
const MIN_PACKETS = 50;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function account(info: DemoInfo, user: string): DemoAccount {
  const found = info.accounts.find((a) => a.user === user);
  if (found === undefined) throw new Error(`the demo model has no password for extension ${user}`);
  return found;
}

function verdict(audio: ReceivedAudio, expected: number): string | undefined {
  if (audio.packets < MIN_PACKETS) return `${audio.packets} packets (at least ${MIN_PACKETS} expected)`;
  if (audio.frequency !== expected) return audio.frequency === undefined ? 'silence' : `a ${audio.frequency} Hz tone instead of ${expected} Hz`;
  return undefined;
}

export async function demoCall(stateDir: string, io: CommandIo): Promise<number> {
  const info = await readDemoInfo(stateDir);
  if (info === undefined || !running(info.pid)) {
    io.stderr.write(`sbc-agent demo --call: no demo is running with state directory ${stateDir} (start one with 'npm start' or 'sbc-agent demo'${info === undefined ? '' : `; its file names pid ${info.pid}, which is gone`})\n`);
    return EXIT.IO;
  }
  const options = (user: string): DemoPhoneOptions => ({ ...account(info, user), address: info.sip.host, proxy: info.sip, domain: info.sip.host });
  const phones: DemoPhone[] = [];
  try {
    const caller = await DemoPhone.open(options(CALLER));
    phones.push(caller);
    const callee = await DemoPhone.open(options(CALLEE));
    phones.push(callee);
    io.stdout.write(`demo: ${CALLER} and ${CALLEE} register to ${info.sip.host}:${info.sip.port}\n`);
    try {
      await Promise.all([caller.register(), callee.register()]);
    } catch (error) {
      io.stderr.write(`sbc-agent demo --call: registration refused: ${error instanceof Error ? error.message : String(error)}\n`);
      return error instanceof RegisterError ? EXIT.SIP_AUTH : EXIT.TIMEOUT;
    }
    io.stdout.write(`demo: ${CALLER} calls ${CALLEE}\n`);
    const answered = callee.answer();
    // Handled here and by Promise.all: a call refused at once leaves the answer waiting, ended by close().
    answered.catch(() => {});
    await Promise.all([caller.call(CALLEE), answered]);
    io.stdout.write(`demo: answered; ${CALLER} sends ${TONES[CALLER]} Hz, ${CALLEE} sends ${TONES[CALLEE]} Hz for ${TONE_MS / 1000} s\n`);
    await Promise.all([caller.sendTone(TONES[CALLER] ?? 0, TONE_MS), callee.sendTone(TONES[CALLEE] ?? 0, TONE_MS)]);
    await new Promise((resolve) => setTimeout(resolve, TAIL_MS));
    const freqs = Object.values(TONES);
    const atCallee = callee.received(freqs);
    const atCaller = caller.received(freqs);
    const ended = callee.hungUp();
    const byeStatus = await caller.hangUp();
    await ended;
    await Promise.allSettled([caller.unregister(), callee.unregister()]);
    const forward = verdict(atCallee, TONES[CALLER] ?? 0);
    const back = verdict(atCaller, TONES[CALLEE] ?? 0);
    const line = `audio ${CALLER}→${CALLEE}: ${atCallee.packets} packets, ${CALLEE}→${CALLER}: ${atCaller.packets} packets`;
    if (forward !== undefined || back !== undefined || byeStatus !== 200) {
      io.stdout.write(`${line}\n`);
      const problems = [
        ...(forward === undefined ? [] : [`${CALLER}→${CALLEE}: ${forward}`]),
        ...(back === undefined ? [] : [`${CALLEE}→${CALLER}: ${back}`]),
        ...(byeStatus === 200 ? [] : [`BYE answered ${byeStatus}`]),
      ];
      io.stderr.write(`sbc-agent demo --call: FAILED: ${problems.join('; ')}\n`);
      return EXIT.TIMEOUT;
    }
    io.stdout.write(`${line}, OK\n`);
    return EXIT.OK;
  } catch (error) {
    io.stderr.write(`sbc-agent demo --call: FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.TIMEOUT;
  } finally {
    for (const phone of phones) await phone.close();
  }
}
