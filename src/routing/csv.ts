/**
 * Extensions imported from a spreadsheet (CSV, RFC 4180: quoted fields may hold commas, quotes
 * doubled, line breaks; CRLF or LF; a UTF-8 byte-order mark is skipped). The header names the
 * columns, in any order:
 *
 *   number,name,password,department,outboundCallerId,emergencyCallerId,homeAgent,enabled
 *
 * The password is turned into the HA1, MD5(number:realm:password), at once and not kept. A bad
 * cell throws a ConfigError whose path names the line and the column: `line 4, column 3 (password)`.
 */
import { ConfigError } from '../core/index.js';
import { PHONE_NUMBER } from './destination-text.js';
import type { Extension } from './model.js';
import { computeHa1, digits, firstDuplicate, name, text } from './routing-fields.js';

export const CSV_COLUMNS = ['number', 'name', 'password', 'department', 'outboundCallerId', 'emergencyCallerId', 'homeAgent', 'enabled'] as const;
type Column = (typeof CSV_COLUMNS)[number];
/** Larger files are refused before they are read (docs/STYLE.md rule 3). */
export const MAX_CSV_BYTES = 8 * 1024 * 1024;
const TRUE = new Set(['', 'true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

interface Row {
  /** The line the record starts on, 1 for the header. */
  readonly line: number;
  readonly cells: readonly string[];
}

/** Splits CSV text into records of cells; blank lines are skipped. */
export function parseCsv(input: string): readonly Row[] {
  const rows: Row[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let wasQuoted = false;
  const endRecord = (): void => {
    cells.push(cell);
    if (cells.length > 1 || cell !== '' || wasQuoted) rows.push({ line: start, cells });
    cells = [];
    cell = '';
    wasQuoted = false;
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        const next = input[i + 1];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw new ConfigError(`line ${line}, column ${cells.length + 1}`, 'a closing quote must end the field');
      } else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"') {
      if (cell !== '') throw new ConfigError(`line ${line}, column ${cells.length + 1}`, 'a quote may only start a field (write "" inside a quoted field)');
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      cell += c;
    }
  }
  if (quoted) throw new ConfigError(`line ${start}, column ${cells.length + 1}`, 'a quoted field is not closed');
  endRecord();
  return rows;
}

function columnsOf(header: Row): ReadonlyMap<Column, number> {
  const at = new Map<Column, number>();
  header.cells.forEach((h, i) => {
    const where = `line ${header.line}, column ${i + 1}`;
    const col = h.trim() as Column;
    if (!CSV_COLUMNS.includes(col)) throw new ConfigError(where, `'${h}' is not a column (columns: ${CSV_COLUMNS.join(',')})`);
    if (at.has(col)) throw new ConfigError(where, `column '${col}' is given twice`);
    at.set(col, i);
  });
  const missing = CSV_COLUMNS.filter((c) => !at.has(c));
  if (missing.length > 0) throw new ConfigError(`line ${header.line}`, `the header lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(',')})`);
  return at;
}

function extensionOf(row: Row, columns: ReadonlyMap<Column, number>, realm: string): Extension {
  const cell = (c: Column): { value: string; path: string } => {
    const i = columns.get(c) ?? 0;
    return { value: row.cells[i] ?? '', path: `line ${row.line}, column ${i + 1} (${c})` };
  };
  const optional = <C extends 'outboundCallerId' | 'emergencyCallerId' | 'department' | 'homeAgent'>(c: C, read: (v: string, path: string) => string): Partial<Record<C, string>> => {
    const { value, path } = cell(c);
    return (value === '' ? {} : { [c]: read(value, path) }) as Partial<Record<C, string>>;
  };
  const phone = (v: string, path: string): string => text(v, path, PHONE_NUMBER, 'a number (digits, optionally after a +)');
  const number = digits(cell('number').value, cell('number').path);
  const n = cell('name');
  if (n.value.trim() === '') throw new ConfigError(n.path, 'must not be empty');
  const p = cell('password');
  if (p.value === '') throw new ConfigError(p.path, 'must not be empty: it becomes the HA1 and is not kept');
  const e = cell('enabled');
  const flag = e.value.trim().toLowerCase();
  if (!TRUE.has(flag) && !FALSE.has(flag)) throw new ConfigError(e.path, `'${e.value}' is not true, false, yes, no, 1 or 0 (empty: true)`);
  return {
    number,
    name: n.value,
    ha1: computeHa1(number, realm, p.value),
    realm,
    enabled: TRUE.has(flag),
    ...optional('outboundCallerId', phone),
    ...optional('emergencyCallerId', phone),
    ...optional('department', name),
    ...optional('homeAgent', name),
    forwarding: {},
    exceptions: [],
    autoStatus: false,
  };
}

/** The extensions of a CSV file, their passwords turned into HA1s for `realm`. */
export function importExtensionsCsv(input: string, realm: string): Extension[] {
  if (realm === '') throw new ConfigError('realm', 'must not be empty');
  if (Buffer.byteLength(input, 'utf8') > MAX_CSV_BYTES) throw new ConfigError('(file)', `larger than ${MAX_CSV_BYTES} bytes`);
  const [header, ...rows] = parseCsv(input.startsWith('\uFEFF') ? input.slice(1) : input);
  if (header === undefined) throw new ConfigError('line 1', `the header is missing (columns: ${CSV_COLUMNS.join(',')})`);
  const columns = columnsOf(header);
  const extensions = rows.map((row) => {
    if (row.cells.length !== header.cells.length) throw new ConfigError(`line ${row.line}`, `has ${row.cells.length} fields, the header ${header.cells.length}`);
    return extensionOf(row, columns, realm);
  });
  const dup = firstDuplicate(extensions, (x) => x.number);
  if (dup !== undefined) {
    const col = (columns.get('number') ?? 0) + 1;
    throw new ConfigError(`line ${rows[dup.index]?.line ?? 0}, column ${col} (number)`, `${extensions[dup.index]?.number ?? ''} is already on line ${rows[dup.first]?.line ?? 0}`);
  }
  return extensions;
}
