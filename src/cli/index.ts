import type { Command } from './command.js';
import { stunCommand, stunServerCommand } from './stun.js';

/** Every command of the program, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [
  stunCommand,
  stunServerCommand,
];

export { EXIT, type ExitCode } from './exit-codes.js';
export type { Command, CommandIo } from './command.js';
