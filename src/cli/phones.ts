/**
 * `sbc-agent phones`: the phone inbox of LAN plug-and-play. Lists the phones that asked for
 * their configuration and records the admin's decision in `<state-dir>/phones.json`. A running
 * responder (`sbc-agent pnp`, later the agent) watches that file and applies the decision at
 * once: approving a phone that is retrying its SUBSCRIBE gets it its URL on the next retry.
 */
import { UsageError, realClock, type Clock } from '../core/index.js';
import { resolveStateDir } from '../platform/index.js';
import { InboxFile, decide, normaliseMac, type PhoneRecord } from '../pnp/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent phones [--json] [--state-dir DIR]
       sbc-agent phones approve MAC [--extension N] [--state-dir DIR]
       sbc-agent phones reject MAC [--state-dir DIR]

Lists the phones seen by LAN plug-and-play (MAC, brand, model, firmware, address, first and
last seen, state), or approves or rejects one. MAC may be written 001565f4f9e1 or
00:15:65:F4:F9:E1; a phone that sends no MAC (AudioCodes) is named ip:<address>, as listed.
A phone may be approved before it is first seen.

Options:
  --json           print the list as JSON
  --extension N    the extension the approved phone is provisioned for
  --state-dir DIR  state directory (default: /var/lib/sbc-agent as root, ~/.local/state/sbc-agent otherwise)
`;

/** A MAC in any usual spelling, or `ip:<IPv4>`. */
export function phoneIdArgument(text: string | undefined): string {
  if (text === undefined) throw new UsageError('which phone? give its MAC');
  const mac = normaliseMac(text);
  if (mac !== undefined) return mac;
  if (/^ip:\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text;
  throw new UsageError(`'${text}' is not a MAC address (12 hex digits) nor ip:<address>`);
}

function table(phones: readonly PhoneRecord[]): string {
  const head = ['PHONE', 'STATE', 'BRAND', 'MODEL', 'FIRMWARE', 'ADDRESS', 'EXT', 'FIRST SEEN', 'LAST SEEN'];
  const rows = phones.map((p) => [p.id, p.state, p.brand, p.model ?? '-', p.firmware ?? '-', p.ip ?? '-', p.extension ?? '-', p.firstSeen ?? '-', p.lastSeen ?? '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/**
 * realClock's timers are unref'd (a protocol timer never keeps a process alive), but waiting for
 * the inbox's lock is all this command does while another writer holds it: with an unref'd retry
 * timer the process ended there, exit 0, and the approval was never written.
 */
export const commandClock: Clock = {
  now: () => realClock.now(),
  wallNow: () => realClock.wallNow(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval: (callback, ms) => {
    const handle = setInterval(callback, ms);
    return { cancel: () => clearInterval(handle) };
  },
};

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['state-dir', 'extension'], flags: ['json'], positionals: 2 });
  const file = new InboxFile(resolveStateDir(args.values.get('state-dir'), undefined), commandClock);
  const [sub, target] = args.positionals;
  const extension = args.values.get('extension');
  if (extension !== undefined && !/^[0-9*#+]{1,32}$/.test(extension)) throw new UsageError(`--extension '${extension}' is not a dial string`);
  switch (sub) {
    case undefined: {
      const phones = file.read().phones.sort((a, b) => (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') || a.id.localeCompare(b.id));
      if (args.flags.has('json')) io.stdout.write(`${JSON.stringify(phones, null, 2)}\n`);
      else io.stdout.write(phones.length === 0 ? 'no phones yet\n' : `${table(phones)}\n`);
      return EXIT.OK;
    }
    case 'approve':
    case 'reject': {
      const id = phoneIdArgument(target);
      if (sub === 'reject' && extension !== undefined) throw new UsageError('--extension goes with approve');
      const data = await file.update((d) => decide(d, id, sub === 'approve' ? 'approved' : 'rejected', extension));
      const p = data.phones.find((x) => x.id === id);
      io.stdout.write(`${id}: ${p?.state ?? '?'}${p?.extension === undefined ? '' : ` (extension ${p.extension})`}\n`);
      return EXIT.OK;
    }
    default:
      throw new UsageError(`unknown phones command '${sub}'`);
  }
}

export const phonesCommand: Command = {
  name: 'phones',
  summary: 'list the phones seen by LAN plug-and-play; approve or reject one',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'phones', () => run(argv, io)),
};
