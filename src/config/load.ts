/**
 * Loading a YAML configuration file. YAML syntax errors become ConfigErrors that give the line;
 * a missing or unreadable file is a ConfigFileError (the CLI's "cannot read" exit code).
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, SbcError } from '../core/index.js';
import { DEFAULT_CONFIG, type SbcConfig } from './schema.js';
import { validateConfig } from './validate.js';

/** The configuration file named on the command line cannot be read. */
export class ConfigFileError extends SbcError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super('SBC_ERR_CONFIG', `${file}: ${message}`, options);
  }
}

/** Parses YAML text and validates it. */
export function parseConfigText(text: string): SbcConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const line = first.linePos?.[0]?.line;
    throw new ConfigError(line === undefined ? '(file)' : `(line ${line})`, `not valid YAML: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  return validateConfig(doc.toJS());
}

/** The configuration from `file`, or the defaults when no file is given. */
export async function loadConfig(file: string | undefined): Promise<SbcConfig> {
  if (file === undefined) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
    throw new ConfigFileError(file, `cannot read the configuration file (${code})`, { cause: error });
  }
  try {
    return parseConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.path, `${error.message.slice(error.path.length + 2)} (in ${file})`);
    throw error;
  }
}
