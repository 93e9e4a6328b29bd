/** The CommandIo of an in-process CLI run with stdout and stderr captured as text. */
import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../src/cli/command.js';

export interface CapturedIo {
  readonly io: CommandIo;
  /** What the command wrote to stdout so far. */
  out(): string;
  /** What the command wrote to stderr so far. */
  err(): string;
}

export function captureIo(): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out: () => out.join(''), err: () => err.join('') };
}
