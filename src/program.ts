/**
 * The `sbc-agent` program: argv → command and exit code. Each command lives in src/cli;
 * main.ts is the executable that calls this.
 */
import { Writable } from 'node:stream';
import { COMMANDS, EXIT, type Command, type CommandIo } from './cli/index.js';
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

/** A stream that hands every chunk on to `target` and lets `seen` look at it. */
function watched(target: NodeJS.WritableStream, seen: (text: string) => void): NodeJS.WritableStream {
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      seen(chunk.toString());
      target.write(chunk, (error) => done(error ?? null));
    },
  });
  // enroll and setup ask on a terminal only: keep telling them whether it is one.
  if ('isTTY' in target) Object.assign(stream, { isTTY: target.isTTY });
  return stream;
}

/**
 * With --json, a failure that printed nothing on stdout still prints one JSON object there,
 * `{"error":{"exitCode":N,"message":"..."}}`, the message being the first line written to stderr,
 * so a script reads one shape whatever happened.
 */
async function runJson(command: Command, rest: readonly string[], io: CommandIo): Promise<number> {
  let printed = false;
  let errors = '';
  const stdout = watched(io.stdout, () => (printed = true));
  const stderr = watched(io.stderr, (text) => (errors += text));
  const code = await runCommand(command, rest, { ...io, stdout, stderr });
  if (code !== EXIT.OK && !printed) {
    const message = errors.split('\n').find((line) => line.trim() !== '') ?? `exit ${code}`;
    io.stdout.write(`${JSON.stringify({ error: { exitCode: code, message } })}\n`);
  }
  return code;
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
  return rest.includes('--json') ? runJson(command, rest, io) : runCommand(command, rest, io);
}

async function runCommand(command: Command, rest: readonly string[], io: CommandIo): Promise<number> {
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
