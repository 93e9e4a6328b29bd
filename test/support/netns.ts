/**
 * A reusable network-namespace testbed: namespaces with unique names per run, veth pairs created
 * with both ends directly inside their namespaces, addresses, routes, forwarding, nftables
 * masquerade and counters, and commands run inside with `ip netns exec`. `remove()` deletes
 * everything (deleting a namespace deletes its veth ends) and is safe after a partial setup; it
 * also runs on process exit, so a failing test leaves nothing behind.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

function run(cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input === undefined ? {} : { input }) }).toString();
}

const live = new Set<Testbed>();
process.once('exit', () => {
  for (const t of live) t.remove();
});

export class Testbed {
  readonly id: string;
  readonly #created: string[] = [];

  /** `prefix` names the test (a few letters); namespace names are `<prefix>-<name>-<id>`. */
  constructor(readonly prefix: string) {
    this.id = `${process.pid.toString(36)}${Math.floor(Math.random() * 46656).toString(36)}`;
    live.add(this);
  }

  /** Creates a namespace (loopback up) and returns its full name. */
  namespace(name: string): string {
    const ns = `${this.prefix}-${name}-${this.id}`;
    run('ip', ['netns', 'add', ns]);
    this.#created.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between two namespaces, each end with its addresses (CIDR, comma-separated, may be empty) and up. */
  link(a: { ns: string; dev: string; addr: string }, b: { ns: string; dev: string; addr: string }): void {
    run('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      for (const addr of end.addr.split(',').filter((a) => a !== '')) run('ip', ['-n', end.ns, 'addr', 'add', addr, 'dev', end.dev]);
      run('ip', ['-n', end.ns, 'link', 'set', end.dev, 'up']);
    }
  }

  addAddress(ns: string, dev: string, addr: string): void {
    run('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
  }

  defaultRoute(ns: string, via: string): void {
    run('ip', ['-n', ns, 'route', 'add', 'default', 'via', via]);
  }

  forwarding(ns: string): void {
    run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }

  /** Source NAT (masquerade) of everything leaving `outDev`: a NAT router with no port forwarding. */
  masquerade(ns: string, outDev: string): void {
    this.nft(ns, `table ip nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname "${outDev}" masquerade\n }\n}\n`);
  }

  /** Loads an nftables ruleset inside a namespace. */
  nft(ns: string, ruleset: string): void {
    run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], ruleset);
  }

  /** Output of `nft -j list ...` inside a namespace, parsed. */
  nftJson(ns: string, ...what: string[]): unknown {
    return JSON.parse(run('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', ...what]));
  }

  exec(ns: string, cmd: string, args: readonly string[]): string {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  spawn(ns: string, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  }

  /** Deletes every namespace created. Idempotent. */
  remove(): void {
    for (const ns of this.#created.splice(0).reverse()) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // Already gone.
      }
    }
    live.delete(this);
  }
}
