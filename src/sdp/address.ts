/**
 * Address checks for SDP connection data and latching decisions. Written out here because
 * protocol folders do not import node:net (only src/net opens sockets).
 */

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p.length === 1 || p[0] !== '0'));
}

export function isIPv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return false;
  let groups = text.split(':');
  let v4Tail = 0;
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1);
    v4Tail = 2;
  }
  const doubles = text.split('::').length - 1;
  if (doubles > 1) return false;
  if (doubles === 0) {
    return groups.length + v4Tail === 8 && groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g));
  }
  const [head = '', tail = ''] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  if (v4Tail > 0) t.pop();
  if (h.length + t.length + v4Tail > 7) return false;
  return [...h, ...t].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g));
}

/** "IP4" or "IP6" for a literal address, as c= and o= name them. */
export function addrTypeOf(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

function ipv4Octets(address: string): number[] {
  return address.split('.').map(Number);
}

/**
 * True for addresses that a peer on the far side of a NAT cannot send to: unspecified,
 * RFC 1918 private, RFC 6598 shared (carrier-grade NAT), RFC 3927 link-local, RFC 4193 unique
 * local and fe80::/10 link-local. Loopback is not included: it is reachable on the host itself.
 */
export function isPrivateAddress(address: string): boolean {
  if (isIPv4(address)) {
    const [a = 0, b = 0] = ipv4Octets(address);
    return (
      address === '0.0.0.0' ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254)
    );
  }
  if (isIPv6(address)) {
    const lower = address.toLowerCase();
    if (/^::(ffff:)?$/.test(lower) || lower === '::') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped?.[1] !== undefined) return isPrivateAddress(mapped[1]);
    const first = parseInt(lower.split(':')[0] || '0', 16);
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  }
  return false;
}

/** RFC 3264 §8.4 (and RFC 2543 before it): c=0.0.0.0 put a stream on hold. */
export function isHoldAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
