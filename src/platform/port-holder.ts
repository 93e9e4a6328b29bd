/**
 * Who holds a local port, for the "cannot bind" message: on Linux, the socket's inode from
 * /proc/net/{udp,tcp}{,6} and the process whose file descriptors include `socket:[inode]`.
 * Anything that cannot be read (another OS, another user's process) makes the answer unknown.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

function inodesOnPort(protocol: 'udp' | 'tcp', port: number): Set<string> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      // A TCP socket holds the port as a listener (state 0A); any UDP socket on it holds it.
      if (local?.endsWith(hex) === true && (protocol === 'udp' || f[3] === '0A') && f[9] !== undefined && f[9] !== '0') inodes.add(f[9]);
    }
  }
  return inodes;
}

/** "pid 1234 (kamailio)", or undefined when it cannot be found out. */
export function portHolder(protocol: 'udp' | 'tcp', port: number): string | undefined {
  const inodes = inodesOnPort(protocol, port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] !== undefined && inodes.has(m[1])) {
        let name = '?';
        try {
          name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // The process may have ended meanwhile; its pid is still worth giving.
        }
        return `pid ${pid} (${name})`;
      }
    }
  }
  return undefined;
}
