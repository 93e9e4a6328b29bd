/**
 * A small argv parser: `--flag`, `--key value`, `--key=value` and positionals. Options not
 * declared, an option given twice (which of the two was meant?) and more positionals than the
 * command takes are a UsageError naming them.
 */
import { UsageError } from '../core/index.js';

export interface OptionSpec {
  /** Options that take a value. */
  readonly values?: readonly string[];
  /** Options that are on or off. */
  readonly flags?: readonly string[];
  /** How many positional arguments the command takes at most (default none). */
  readonly positionals?: number;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  const valueNames = new Set(spec.values ?? []);
  const flagNames = new Set([...(spec.flags ?? []), 'help']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg === '-h') flags.add('help');
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if ((values.has(name) || flags.has(name)) && name !== 'help') throw new UsageError(`--${name} is given more than once`);
    if (valueNames.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else if (flagNames.has(name) && eq < 0) {
      flags.add(name);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  const most = spec.positionals ?? 0;
  if (positionals.length > most) throw new UsageError(`unexpected argument '${positionals[most] ?? ''}'`);
  return { positionals, values, flags };
}
