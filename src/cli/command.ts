/**
 * One command of the `sbc-agent` program. Each lives in its own file under src/cli and is
 * listed in src/cli/index.ts; main.ts only dispatches.
 */

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  /** One line for the command list in --help. */
  readonly summary: string;
  /** Full usage text for `sbc-agent NAME --help`. */
  readonly usage: string;
  /** Returns the process exit code (see exit-codes.ts). Long-running commands resolve when they stop. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}
