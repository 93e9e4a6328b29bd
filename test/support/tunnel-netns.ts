/**
 * Three network namespaces for the tunnel tests: branch ── wan router ── hub, addressed
 * 10.201.1.0/24 (branch side) and 10.201.2.0/24 (hub side), which exist only inside them. Names are
 * unique per run; `remove()` deletes all of them and is safe to call after a partial setup.
 */
import { execFileSync } from 'node:child_process';

export interface TunnelTestbed {
  readonly branch: string;
  readonly wan: string;
  readonly hub: string;
  readonly hubAddress: string;
  /** Takes the router's hub-side link down: every packet between branch and hub is lost. */
  cut(): void;
  restore(): void;
  remove(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTunnelTestbed(): TunnelTestbed {
  const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const branch = `sbctun-b-${id}`;
  const wan = `sbctun-w-${id}`;
  const hub = `sbctun-h-${id}`;
  const created: string[] = [];
  const remove = (): void => {
    for (const ns of created.splice(0)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    for (const ns of [branch, wan, hub]) {
      ip('netns', 'add', ns);
      created.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // Each veth pair is created with its ends directly inside the namespaces: no name in the root namespace.
    ip('link', 'add', 'vb0', 'netns', branch, 'type', 'veth', 'peer', 'name', 'vw0', 'netns', wan);
    ip('link', 'add', 'vh0', 'netns', hub, 'type', 'veth', 'peer', 'name', 'vw1', 'netns', wan);
    ip('-n', branch, 'addr', 'add', '10.201.1.2/24', 'dev', 'vb0');
    ip('-n', wan, 'addr', 'add', '10.201.1.1/24', 'dev', 'vw0');
    ip('-n', wan, 'addr', 'add', '10.201.2.1/24', 'dev', 'vw1');
    ip('-n', hub, 'addr', 'add', '10.201.2.2/24', 'dev', 'vh0');
    for (const [ns, dev] of [[branch, 'vb0'], [wan, 'vw0'], [wan, 'vw1'], [hub, 'vh0']] as const) ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', branch, 'route', 'add', 'default', 'via', '10.201.1.1');
    ip('-n', hub, 'route', 'add', 'default', 'via', '10.201.2.1');
    execFileSync('ip', ['netns', 'exec', wan, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { stdio: 'ignore' });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    branch, wan, hub, hubAddress: '10.201.2.2',
    cut: () => ip('-n', wan, 'link', 'set', 'vw1', 'down'),
    restore: () => ip('-n', wan, 'link', 'set', 'vw1', 'up'),
    remove,
  };
}
