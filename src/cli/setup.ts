/**
 * `sbc-agent setup`: first-run enrollment for installers and images. Takes the provisioning URL and
 * auth key from a setup file (`--from FILE`, else the Raspberry Pi boot partition's
 * sbc-agent.txt), the command line, or questions on the terminal; enrolls through the same path as
 * `enroll` (enroll-flow.ts: the hub's fingerprint shown and confirmed unless pinned or --yes); then
 * removes the spent key from the setup file and hands the agent to the service manager.
 *
 * Nothing is written when enrollment fails: no configuration, no change to the setup file, no
 * service. After it succeeded the key is spent, so it is blanked in the file even if starting the
 * service then fails (exit 22).
 */
import { adminTokenPath, loadOrCreateAdminToken } from '../admin/index.js';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { UsageError, describeError } from '../core/index.js';
import { loadConfig } from '../config/index.js';
import {
  ServiceControlError,
  StateError,
  currentPlatform,
  defaultAgentConfigFile,
  detectServiceManager,
  readFileIfExists,
  resolveStateDir,
  rewriteFileAtomic,
  writeFileAtomic,
  type PlatformInfo,
  type ServiceManager,
} from '../platform/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { enrollIntoStateDir, type EnrollInput, type EnrollOutcome } from './enroll-flow.js';
import { EXIT } from './exit-codes.js';
import { hostPort, reportErrors } from './hub-common.js';
import { configWithLan } from './setup-config.js';
import { blankKey, parseSetupFile, type SetupFile } from './setup-file.js';

/** Where Raspberry Pi OS mounts the FAT boot partition: bookworm and later, then older releases. */
export const BOOT_SETUP_FILES = ['/boot/firmware/sbc-agent.txt', '/boot/sbc-agent.txt'] as const;

const USAGE = `Usage: sbc-agent setup [--from FILE] [--url URL --key KEY] [--fingerprint FP] [--lan ADDRESS]
                       [--yes] [--force] [--no-service] [--state-dir DIR] [--config FILE]

First-run setup of an agent: enrolls it with its hub and starts it as a service.

The provisioning URL and auth key come from --url/--key, else from a setup file of key=value lines
(url=, key=, optional fingerprint= and lan=): --from FILE, else ${BOOT_SETUP_FILES.join(' or ')}
when it holds a key; what is still missing is asked on the terminal. The hub's fingerprint is shown
and confirmed unless the file or --fingerprint gives it, or --yes trusts it unchecked.

After enrolling, the key is blanked in the setup file (it cannot be used twice and should not stay
on a boot partition), --lan / lan= is stored as agent.lan in the configuration file, and the
service is enabled and started: systemd (systemctl enable --now sbc-agent) or the Windows service
(installed by packaging\\windows\\install.ps1). With --no-service, or without a service manager (a
container), setup prints how to start the agent instead.

  --force        replace the identity this agent already has
  --config FILE  the configuration to use and update (default ${defaultAgentConfigFile()} when it exists)

Exit codes: as 'enroll' (2 already enrolled without --force, 4 state directory not writable,
10-17 enrollment), 3 bad setup file or configuration, 22 the service could not be started.
`;

export interface SetupDeps {
  readonly platform: PlatformInfo;
  /** Setup files tried, in order, when neither --from nor --url/--key is given. */
  readonly bootFiles: readonly string[];
  /** The service manager to use; undefined when there is none. */
  readonly serviceManager: () => Promise<ServiceManager | undefined>;
  readonly enroll: (input: EnrollInput, io: CommandIo) => Promise<EnrollOutcome>;
}

function isTty(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

async function ask(io: CommandIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

interface LoadedFile {
  readonly path: string;
  readonly text: string;
  readonly values: SetupFile;
}

async function loadSetupFile(path: string): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StateError(path, `cannot read the setup file (${typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error)})`, { cause: error });
  }
  return { path, text, values: parseSetupFile(text, path) };
}

/** The first boot-partition file that holds a key; a file whose key was used already is skipped. */
async function findBootFile(candidates: readonly string[]): Promise<LoadedFile | undefined> {
  for (const path of candidates) {
    const bytes = await readFileIfExists(path).catch(() => undefined);
    if (bytes === undefined) continue;
    const text = bytes.toString('utf8');
    const values = parseSetupFile(text, path);
    if (values.key !== undefined) return { path, text, values };
  }
  return undefined;
}

function manualStart(stateDir: string | undefined, configFile: string | undefined): string {
  const options = [...(configFile === undefined ? [] : ['--config', configFile]), ...(stateDir === undefined ? [] : ['--state-dir', stateDir])].join(' ');
  return `start the agent with: sbc-agent run${options === '' ? '' : ` ${options}`}`;
}

async function afterEnrolling(io: CommandIo, done: string, failed: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
    io.stdout.write(`setup: ${done}\n`);
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    io.stderr.write(`sbc-agent setup: warning: ${failed} (${error.message})\n`);
  }
}

async function setup(argv: readonly string[], io: CommandIo, deps: SetupDeps): Promise<number> {
  const args = parseArgs(argv, { values: ['config', 'state-dir', 'from', 'url', 'key', 'fingerprint', 'lan'], flags: ['yes', 'force', 'no-service'] });
  const from = args.values.get('from');
  const given = args.values.get('url') !== undefined && args.values.get('key') !== undefined;
  const file = from !== undefined ? await loadSetupFile(from) : given ? undefined : await findBootFile(deps.bootFiles);
  if (file !== undefined) io.stdout.write(`setup: reading ${file.path}\n`);

  let url = args.values.get('url') ?? file?.values.url;
  let key = args.values.get('key') ?? file?.values.key;
  const keyFromFile = args.values.get('key') === undefined && file?.values.key !== undefined;
  if (url === undefined || key === undefined) {
    if (!isTty(io.stdin)) {
      throw new UsageError(`setup needs a provisioning URL and an auth key${file === undefined ? '' : ` (${file.path} lacks ${url === undefined ? 'url=' : 'key='})`}: --from FILE, --url and --key, or a terminal to ask on`);
    }
    url ??= await ask(io, "Provisioning URL (from 'sbc-agent hub add-sbc'): ");
    key ??= await ask(io, 'One-time auth key: ');
  }
  const fingerprint = args.values.get('fingerprint') ?? file?.values.fingerprint;
  const lan = args.values.get('lan') ?? file?.values.lan;

  const defaultConfig = defaultAgentConfigFile(deps.platform);
  const configFile = args.values.get('config') ?? ((await readFileIfExists(defaultConfig).catch(() => undefined)) === undefined ? undefined : defaultConfig);
  const config = await loadConfig(configFile);
  const stateDir = resolveStateDir(args.values.get('state-dir'), config.stateDir, deps.platform);
  // Checked now, written only after enrolling: a LAN address the configuration cannot take must not cost the key.
  const lanTarget = configFile ?? defaultConfig;
  const lanConfig = lan === undefined ? undefined : configWithLan((await readFileIfExists(lanTarget))?.toString('utf8'), lan, lanTarget);

  const outcome = await deps.enroll(
    {
      url,
      key,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      yes: args.flags.has('yes'),
      force: args.flags.has('force'),
      stateDir,
      timeoutMs: config.agent.enrollTimeoutMs,
      command: 'setup',
    },
    io,
  );
  if (!outcome.ok) {
    io.stderr.write(`sbc-agent setup: ${outcome.message}\n`);
    return outcome.exit;
  }
  const { record } = outcome.identity;
  io.stdout.write(
    `setup: enrolled as SBC '${record.sbc.name}' (id ${record.sbc.id})${outcome.replaced === undefined ? '' : `, replacing SBC '${outcome.replaced.name}'`}; hub ${hostPort(record.hub.tunnel.host, record.hub.tunnel.port)}; identity in ${outcome.paths.dir}\n`,
  );

  // From here on the agent is enrolled: what cannot be written is said, and the service still starts.
  if (file !== undefined && keyFromFile) {
    await afterEnrolling(io, `removed the used key from ${file.path}`, `cannot remove the used key from ${file.path}; remove it by hand`, () => rewriteFileAtomic(file.path, blankKey(file.text)));
  }
  if (lanConfig !== undefined && lan !== undefined) {
    // The service user reads the configuration: keep its mode, or make a new one world-readable.
    await afterEnrolling(io, `LAN address ${lan} stored in ${lanTarget}`, `cannot store the LAN address in ${lanTarget}`, async () => {
      if ((await readFileIfExists(lanTarget)) !== undefined) await rewriteFileAtomic(lanTarget, lanConfig);
      else await writeFileAtomic(lanTarget, lanConfig, { mode: 0o644 });
    });
  }

  // The admin token for the status page and the API (the service would make it at its first start).
  const tokenPath = config.agent.admin.tokenFile ?? adminTokenPath(stateDir);
  try {
    await loadOrCreateAdminToken(tokenPath);
    io.stdout.write(`setup: admin token in ${tokenPath}\n`);
  } catch (error) {
    io.stderr.write(`sbc-agent setup: warning: cannot write the admin token ${tokenPath}; the service makes it at its first start (${describeError(error)})\n`);
  }

  const stateOption = args.values.get('state-dir');
  const manager = args.flags.has('no-service') ? undefined : await deps.serviceManager();
  if (manager === undefined) {
    const why = args.flags.has('no-service') ? '--no-service' : 'no service manager found';
    io.stdout.write(`setup: ${why}: ${manualStart(stateOption, configFile)}\n`);
    return EXIT.OK;
  }
  try {
    await manager.enableAndStart();
  } catch (error) {
    if (!(error instanceof ServiceControlError)) throw error;
    io.stderr.write(`sbc-agent setup: enrolled, but the ${manager.service} service could not be started (${manager.kind}): ${error.message}\n`);
    return EXIT.SERVICE_CONTROL;
  }
  io.stdout.write(`setup: the ${manager.service} service is enabled and started (${manager.kind})\n`);
  return EXIT.OK;
}

/** `setup` with its collaborators given: tests pass a fake service manager and enrollment. */
export function setupCommandWith(deps: SetupDeps): Command {
  return {
    name: 'setup',
    summary: 'first-run setup: enroll from a setup file or questions, then start the service',
    usage: USAGE,
    run: (argv, io) => reportErrors(io, 'setup', () => setup(argv, io, deps)),
  };
}

export const setupCommand: Command = setupCommandWith({
  platform: currentPlatform(),
  bootFiles: BOOT_SETUP_FILES,
  serviceManager: () => detectServiceManager(currentPlatform()),
  enroll: enrollIntoStateDir,
});
