/**
 * The `sbc-agent` program: argv → command and exit code. Each command lives in src/cli;
 * main.ts is the executable that calls this.
 */
import { COMMANDS, EXIT, type CommandIo } from './cli/index.js';
import { SbcError, describeError } from './core/index.js';
import { packageVersion } from './version.js';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'sbc-agent: Session Border Controller and tunnel agent',
    '',
    'Usage: sbc-agent <command> [options]',
    '       sbc-agent <command> --help',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  --help      show this text',
    '  --version   print the version',
    '',
  ].join('\n');
}

export async function runProgram(argv: readonly string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(helpText());
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    io.stderr.write(`sbc-agent: unknown command '${first}'. Run 'sbc-agent --help' for the list.\n`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage.trimEnd()}\n`);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof SbcError && error.code === 'SBC_ERR_USAGE') {
      io.stderr.write(`sbc-agent ${command.name}: ${error.message}\n${command.usage.trimEnd()}\n`);
      return EXIT.USAGE;
    }
    if (error instanceof SbcError && error.code === 'SBC_ERR_BIND') {
      io.stderr.write(`sbc-agent ${command.name}: ${error.message}\n`);
      return EXIT.BIND;
    }
    if (error instanceof SbcError && error.code === 'SBC_ERR_CONFIG') {
      io.stderr.write(`sbc-agent ${command.name}: configuration error: ${error.message}\n`);
      return EXIT.CONFIG;
    }
    io.stderr.write(`sbc-agent ${command.name}: ${describeError(error)}\n`);
    return EXIT.INTERNAL;
  }
}
