/**
 * The one enrollment path that `sbc-agent enroll` and `sbc-agent setup` share. Everything that can
 * fail without the hub is checked before the one-time key is sent, since a sent key is spent:
 *
 *   1. the state directory takes a file (created, written, removed): else exit 4, naming it;
 *   2. an identity already there is replaced only with --force: else exit 2, naming its SBC;
 *   3. the hub is pinned and the key and CSR sent (enrollment/README.md, exits 10-17);
 *   4. the new identity replaces the old as one unit (platform/file-set.ts), hub.json last.
 *
 * A failure at any step leaves the disk as it was (directories the probe made are removed).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { realClock } from '../core/index.js';
import { fetchPeerChain, postJsonPinned } from '../net/index.js';
import { StateError, completeFileSet, probeWritableDir, replaceFileSet } from '../platform/index.js';
import {
  EnrollError,
  MAX_RESPONSE_BYTES,
  agentIdentityFiles,
  agentStatePaths,
  enrollAgent,
  type AgentIdentity,
  type AgentStatePaths,
  type EnrollFailure,
  type EnrollTransport,
} from '../tunnel/index.js';
import type { CommandIo } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export const ENROLL_EXIT: Readonly<Record<EnrollFailure, ExitCode>> = {
  unreachable: EXIT.ENROLL_UNREACHABLE,
  fingerprint: EXIT.ENROLL_FINGERPRINT,
  wrong_key: EXIT.ENROLL_WRONG_KEY,
  expired_key: EXIT.ENROLL_EXPIRED_KEY,
  used_key: EXIT.ENROLL_USED_KEY,
  revoked: EXIT.ENROLL_REVOKED,
  locked_out: EXIT.ENROLL_LOCKED_OUT,
  declined: EXIT.ENROLL_DECLINED,
  bad_request: EXIT.INTERNAL,
  bad_response: EXIT.INTERNAL,
};

export interface EnrollInput {
  readonly url: string;
  readonly key: string;
  readonly fingerprint?: string;
  /** Trust the hub's fingerprint without asking. */
  readonly yes: boolean;
  /** Replace an identity already in the state directory. */
  readonly force: boolean;
  readonly stateDir: string;
  readonly timeoutMs: number;
  /** The command a person would rerun with --force ('enroll', 'setup'), for the refusal message. */
  readonly command: string;
}

/** The SBC an identity on disk belongs to; name and id are '?' when hub.json cannot be read. */
export interface StoredSbc {
  readonly id: string;
  readonly name: string;
}

export type EnrollOutcome =
  | { readonly ok: true; readonly identity: AgentIdentity; readonly paths: AgentStatePaths; readonly replaced: StoredSbc | undefined }
  | {
      readonly ok: false;
      readonly exit: ExitCode;
      /** An EnrollFailure, 'enrolled' (refused without --force) or 'state' (state directory not writable). */
      readonly reason: string;
      readonly message: string;
      readonly retryAfterSeconds?: number;
    };

function isTty(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

/** Asks on the terminal; with no terminal there is no one to ask, so the answer is no. */
function confirmer(io: CommandIo, yes: boolean, host: string): (fingerprint: string) => Promise<boolean> {
  return async (fingerprint) => {
    if (yes) return true;
    if (!isTty(io.stdin)) {
      throw new EnrollError(
        'declined',
        `cannot confirm the hub's fingerprint ${fingerprint}: no terminal to ask on. Pass --fingerprint with the fingerprint 'hub add-sbc' printed (or --yes to trust it unchecked)`,
      );
    }
    io.stderr.write(`The hub at ${host} presents the fingerprint\n  ${fingerprint}\nCompare it with the one 'sbc-agent hub add-sbc' printed.\n`);
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    try {
      const answer = await rl.question('Trust this hub and send the auth key? [y/N] ');
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

function transport(timeoutMs: number): EnrollTransport {
  return {
    peerChain: (url) => fetchPeerChain(url, { timeoutMs }),
    post: (url, body, verifyPeer) => postJsonPinned(url, body, verifyPeer, { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES }),
  };
}

/** The SBC of the identity in `paths.dir`, or undefined when there is none (no hub.json). */
async function storedSbc(paths: AgentStatePaths): Promise<StoredSbc | undefined> {
  let text: string;
  try {
    text = await readFile(paths.hub, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    const sbc = typeof value === 'object' && value !== null && 'sbc' in value ? value.sbc : undefined;
    if (typeof sbc === 'object' && sbc !== null && 'id' in sbc && 'name' in sbc && typeof sbc.id === 'string' && typeof sbc.name === 'string') return { id: sbc.id, name: sbc.name };
  } catch {
    // A damaged record is still an identity someone may want: it is named '?' below.
  }
  return { id: '?', name: '?' };
}

export async function enrollIntoStateDir(input: EnrollInput, io: CommandIo): Promise<EnrollOutcome> {
  const paths = agentStatePaths(input.stateDir);
  let probe;
  try {
    probe = await probeWritableDir(paths.dir);
    await completeFileSet(paths.dir);
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    const cause = /\(([A-Z0-9_]+)\)$/.exec(error.message)?.[1];
    return {
      ok: false,
      exit: EXIT.IO,
      reason: 'state',
      message: `cannot write the state directory ${paths.dir}${cause === undefined ? '' : ` (${cause})`}; nothing was sent to the hub, so the auth key is still unused`,
    };
  }
  const existing = await storedSbc(paths);
  if (existing !== undefined && !input.force) {
    await probe.undo();
    return {
      ok: false,
      exit: EXIT.USAGE,
      reason: 'enrolled',
      message: `this agent is already enrolled as SBC '${existing.name}' (id ${existing.id}) in ${paths.dir}; nothing was sent to the hub. 'sbc-agent ${input.command} --force' replaces that identity with the new one`,
    };
  }
  let identity: AgentIdentity;
  try {
    identity = await enrollAgent({
      url: input.url,
      key: input.key,
      ...(input.fingerprint === undefined ? {} : { fingerprint: input.fingerprint }),
      confirm: confirmer(io, input.yes, URL.canParse(input.url) ? new URL(input.url).host : input.url),
      transport: transport(input.timeoutMs),
      clock: realClock,
    });
  } catch (error) {
    await probe.undo();
    if (!(error instanceof EnrollError)) throw error;
    return { ok: false, exit: ENROLL_EXIT[error.reason], reason: error.reason, message: error.message, ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }) };
  }
  const files = agentIdentityFiles(paths, identity).map((file) => ({ name: basename(file.path), data: file.data }));
  await replaceFileSet(paths.dir, files);
  return { ok: true, identity, paths, replaced: existing };
}
