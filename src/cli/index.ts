import type { Command } from './command.js';
import { sipCheckCommand } from './sip-check.js';
import { stunCommand, stunServerCommand } from './stun.js';
import { sipRegisterCommand } from './sip-register.js';
import { hubCommand } from './hub.js';
import { enrollCommand } from './enroll.js';
import { setupCommand } from './setup.js';
import { statusCommand } from './status.js';
import { phonesCommand } from './phones.js';
import { pnpCommand } from './pnp.js';
import { agentCommand } from './agent.js';
import { demoCommand } from './demo.js';
import { runCommand } from './run.js';
import { callsCommand } from './calls.js';
import { drainCommand } from './drain.js';
import { blocksCommand } from './blocks.js';
import { captureCommand } from './capture.js';
import { doctorCommand } from './doctor.js';

/** Every command of the program, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [
  stunCommand,
  stunServerCommand,
  sipCheckCommand,
  sipRegisterCommand,
  hubCommand,
  enrollCommand,
  setupCommand,
  statusCommand,
  pnpCommand,
  phonesCommand,
  agentCommand,
  runCommand,
  callsCommand,
  drainCommand,
  blocksCommand,
  captureCommand,
  doctorCommand,
  demoCommand,
];

export { EXIT, type ExitCode } from './exit-codes.js';
export type { Command, CommandIo } from './command.js';
