#!/usr/bin/env node
/**
 * What the Windows service runs (packaging/windows/sbc-agent-service.xml: WinSW starts
 * `node.exe service-host.js run --config ...`). It runs `sbc-agent` with the same arguments as a
 * child process and passes its exit on through service-exit.ts: WinSW reports a non-zero exit to
 * the Service Control Manager as a failure, whose recovery actions restart the service, and a zero
 * exit as a stop. So the exits that a restart cannot fix become 0 here, with a line in the log.
 *
 * On Windows, WinSW's Ctrl+C reaches every process on the service's console, the agent included;
 * elsewhere (tests) SIGINT and SIGTERM are passed on to the agent.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serviceExit } from './service-exit.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const child = spawn(process.execPath, [main, ...process.argv.slice(2)], { stdio: 'inherit', windowsHide: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const) {
  process.on(signal, () => {
    if (process.platform !== 'win32') child.kill(signal);
  });
}
child.on('error', (error) => {
  process.stderr.write(`sbc-agent service: cannot start ${main}: ${error.message}\n`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => {
  const result = serviceExit(code, signal);
  if (result.note !== undefined) process.stderr.write(`sbc-agent service: ${result.note}\n`);
  process.exitCode = result.code;
});
