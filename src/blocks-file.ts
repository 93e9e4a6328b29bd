/**
 * The blocks file on disk, shared by the running agent (or hub) and the `sbc-agent blocks` and
 * `sbc-agent hub unlock` commands. Every change is lock → read → change → atomic write → unlock
 * (withFileLock, writeFileAtomic), so the process adding a block and the command lifting another
 * never lose each other's change; a crash leaves the old file or the new one, never half of one.
 *
 * How a running process notices a command's change: it looks at the file's size and mtime once a
 * second (one stat(2)) and reads it again when they move. That needs no signal, no pid and no
 * inotify, works the same for the agent and the hub, and a lift takes effect within a second.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, type Clock, type Logger, type Timer } from './core/index.js';
import { StateError, ensurePrivateDir, readFileIfExists, withFileLock, writeFileAtomic } from './platform/index.js';
import { BlockFileError, MAX_BLOCKS_FILE_BYTES, parseBlocks, serializeBlocks, type BlockEntry } from './protect/index.js';

export function agentBlocksPath(stateDir: string): string {
  return join(stateDir, 'agent', 'blocks.json');
}

export function hubBlocksPath(stateDir: string): string {
  return join(stateDir, 'hub', 'blocks.json');
}

export class BlocksFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The entries on disk (none when the file does not exist); a corrupt file is a BlockFileError. */
  async read(): Promise<BlockEntry[]> {
    const size = await stat(this.path).then((s) => s.size, (error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return -1;
      throw new StateError(this.path, `cannot read (${errnoCode(error) ?? String(error)})`, { cause: error });
    });
    if (size < 0) return [];
    // The bound is checked before the file is buffered (docs/STYLE.md rule 3).
    if (size > MAX_BLOCKS_FILE_BYTES) throw new BlockFileError(this.path, `${size} bytes, more than the ${MAX_BLOCKS_FILE_BYTES} a blocks file may hold`);
    const raw = await readFileIfExists(this.path);
    return parseBlocks(raw?.toString('utf8'), this.path);
  }

  /** Changes the file under its lock; returns the entries written. */
  async update(change: (entries: BlockEntry[]) => BlockEntry[]): Promise<BlockEntry[]> {
    await ensurePrivateDir(join(this.path, '..'));
    return withFileLock(`${this.path}.lock`, async () => {
      const next = change(await this.read());
      await writeFileAtomic(this.path, serializeBlocks(next));
      return next;
    });
  }

  /**
   * Calls `changed` with the entries whenever the file changes (checked each `everyMs`); a file
   * that cannot be parsed is reported to `failed` and the entries held stay. Returns the stop.
   */
  watch(clock: Clock, changed: (entries: BlockEntry[]) => void, failed: (error: unknown) => void, everyMs = 1000): () => void {
    let seen = '';
    let busy = false;
    const look = async (): Promise<void> => {
      const s = await stat(this.path).catch(() => undefined);
      const mark = s === undefined ? 'absent' : `${s.size}:${s.mtimeMs}:${s.ino}`;
      if (mark === seen) return;
      const entries = await this.read();
      seen = mark;
      changed(entries);
    };
    const timer: Timer = clock.setInterval(() => {
      if (busy) return;
      busy = true;
      look().catch(failed).finally(() => (busy = false));
    }, everyMs);
    void stat(this.path).then((s) => (seen = `${s.size}:${s.mtimeMs}:${s.ino}`), () => (seen = 'absent'));
    return () => timer.cancel();
  }
}

/** What a running process logs about its blocks. */
export function logBlock(logger: Logger, entry: BlockEntry): void {
  logger.warn({ address: entry.address, reason: entry.reason, until: entry.until === undefined ? null : new Date(entry.until).toISOString() }, 'source blocked');
}
