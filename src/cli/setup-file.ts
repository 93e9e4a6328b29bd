/**
 * The setup file an installer drops on the Raspberry Pi's boot partition (FAT, editable from any
 * PC) or passes with `sbc-agent setup --from FILE`: `key=value` lines, `#` comments, blank lines.
 *
 *   url=https://hub.example.net:5001/enroll/n66x0zxqy73k1e4f
 *   key=7KQ2-M9XD-...
 *   fingerprint=AB:CD:...      optional: pins the hub without asking
 *   lan=192.168.1.10           optional: the agent's LAN address (config agent.lan)
 *
 * Written by people in Notepad as often as in vi: a UTF-8 byte order mark, CRLF line ends, spaces
 * around `=` and quotes around the value are accepted. An unknown name or a repeated one is an error
 * that names the line, so a typo is not silently ignored. Parsing is pure; setup.ts reads and writes.
 */
import { ConfigError } from '../core/index.js';

export const SETUP_FILE_FIELDS = ['url', 'key', 'fingerprint', 'lan'] as const;
export type SetupFileField = (typeof SETUP_FILE_FIELDS)[number];

/** The non-empty values of the file (`key=` with nothing after it is a key already used). */
export type SetupFile = Partial<Record<SetupFileField, string>>;

const LINE = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/;

function unquote(value: string): string {
  const m = /^"(.*)"$|^'(.*)'$/.exec(value);
  return m === null ? value : (m[1] ?? m[2] ?? '');
}

function isField(name: string): name is SetupFileField {
  return (SETUP_FILE_FIELDS as readonly string[]).includes(name);
}

/** Throws ConfigError whose path is `FILE:LINE`. */
export function parseSetupFile(text: string, file: string): SetupFile {
  const result: SetupFile = {};
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `${file}:${index + 1}`;
    const m = LINE.exec(line);
    if (m === null) throw new ConfigError(at, `expected name=value, not '${line.slice(0, 40)}'`);
    const name = (m[1] ?? '').toLowerCase();
    if (!isField(name)) throw new ConfigError(at, `unknown name '${m[1] ?? ''}' (known: ${SETUP_FILE_FIELDS.join(', ')})`);
    if (seen.has(name)) throw new ConfigError(at, `'${name}' is given twice`);
    seen.add(name);
    const value = unquote(m[2] ?? '');
    if (value !== '') result[name] = value;
  });
  return result;
}

/**
 * The same text with the value of every `key=` line removed: the key is single-use and must not
 * linger on a partition anyone can read. Comments, other lines and line ends stay as they were.
 */
export function blankKey(text: string): string {
  return text.replace(/^(\uFEFF?[ \t]*key[ \t]*=)[^\r\n]*/gim, '$1');
}
