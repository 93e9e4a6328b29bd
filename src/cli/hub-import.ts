/**
 * `sbc-agent hub import-extensions FILE.csv`: extensions from a spreadsheet into the hub's routing
 * file (`hub.routing` of the hub's configuration). An extension already in the file keeps its
 * forwarding, exceptions, schedule and automatic status and takes the CSV's name, password (as the
 * HA1), department, caller IDs, home agent and enabled flag; a new one gets the defaults. The
 * file's version goes up by one and only its `version` and `extensions` are rewritten (comments and
 * the other sections stay as they are); the whole result is validated before it is written, in
 * one atomic step. A running hub picks the change up within a second and pushes it to its agents.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Document, isMap, parseDocument } from 'yaml';
import { ConfigError, UsageError } from '../core/index.js';
import { MAX_CSV_BYTES, importExtensionsCsv, parseRoutingYaml, routingModelToDoc, type Extension } from '../routing/index.js';
import { readFileIfExists, rewriteFileAtomic, writeFileAtomic } from '../platform/index.js';
import { parseArgs } from './args.js';
import type { CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { commonContext } from './hub-common.js';

/** What the import did, for the output line and `--json`. */
export interface ImportResult {
  readonly file: string;
  readonly version: number;
  readonly added: readonly string[];
  readonly updated: readonly string[];
}

/** The CSV's extensions merged into `current` (existing ones keep their routing settings). */
export function mergeExtensions(current: readonly Extension[], imported: readonly Extension[]): { extensions: Extension[]; added: string[]; updated: string[] } {
  const byNumber = new Map(current.map((e) => [e.number, e]));
  const added: string[] = [];
  const updated: string[] = [];
  for (const e of imported) {
    const old = byNumber.get(e.number);
    if (old === undefined) {
      added.push(e.number);
      byNumber.set(e.number, e);
    } else {
      updated.push(e.number);
      byNumber.set(e.number, { ...old, ...e, forwarding: old.forwarding, exceptions: old.exceptions, autoStatus: old.autoStatus, ...(old.schedule === undefined ? {} : { schedule: old.schedule }) });
    }
  }
  return { extensions: [...byNumber.values()], added, updated };
}

/** The realm for the CSV's passwords: --realm, else the one the file's extensions share. */
function realmOf(given: string | undefined, current: readonly Extension[], file: string): string {
  if (given !== undefined) return given;
  const realms = new Set(current.map((e) => e.realm));
  const only = [...realms][0];
  if (realms.size === 1 && only !== undefined) return only;
  throw new UsageError(realms.size === 0
    ? `${file} has no extensions yet: give the digest realm of the phones' passwords with --realm`
    : `the extensions of ${file} use several realms (${[...realms].join(', ')}): choose one with --realm`);
}

export async function importExtensions(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['config', 'state-dir', 'realm'], flags: ['json'], positionals: 1 });
  const csvFile = args.positionals[0];
  if (csvFile === undefined) throw new UsageError('name the CSV file: sbc-agent hub import-extensions FILE.csv');
  const context = await commonContext(args, 'hub');
  if (context.config.hub.routing === undefined) {
    throw new ConfigError('hub.routing', `is not set${context.configFile === undefined ? '' : ` in ${context.configFile}`}: name the routing file there (example: routing: routing.yaml), then import into it`);
  }
  const file = resolve(dirname(context.configFile ?? join(process.cwd(), 'hub.yaml')), context.config.hub.routing);
  const csv = await readFile(csvFile).catch((error: unknown) => {
    throw new UsageError(`cannot read ${csvFile}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (csv.length > MAX_CSV_BYTES) throw new UsageError(`${csvFile} is larger than ${MAX_CSV_BYTES} bytes`);
  const text = (await readFileIfExists(file))?.toString('utf8') ?? '';
  const current = parseRoutingYaml(text, { allowPasswords: true });
  const realm = realmOf(args.values.get('realm'), current.extensions, file);
  let imported: Extension[];
  try {
    imported = importExtensionsCsv(csv.toString('utf8'), realm);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${csvFile}, ${error.path}`, error.message.slice(error.path.length + 2));
    throw error;
  }
  const merged = mergeExtensions(current.extensions, imported);
  const version = current.version + 1;
  const docs = routingModelToDoc({ ...current, version, extensions: merged.extensions });
  const parsed = parseDocument(text);
  const doc = parsed.contents === null ? new Document({}) : parsed;
  if (!isMap(doc.contents)) throw new ConfigError(file, 'is not a YAML mapping');
  doc.set('version', version);
  doc.set('extensions', docs['extensions']);
  const out = doc.toString({ lineWidth: 0 });
  // Checked whole before it replaces the file: ring groups and rules still name existing extensions.
  parseRoutingYaml(out, { allowPasswords: true });
  if (text === '') await writeFileAtomic(file, out, { mode: 0o640 });
  else await rewriteFileAtomic(file, out);
  const result: ImportResult = { file, version, added: merged.added, updated: merged.updated };
  if (args.flags.has('json')) io.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    io.stdout.write(`imported ${imported.length} extensions into ${file} (version ${version}): ${merged.added.length} added, ${merged.updated.length} updated\n`);
    io.stdout.write('a running hub pushes the change to its agents within a second\n');
  }
  return EXIT.OK;
}
