/**
 * Checks a provisioning request-target before anything else looks at it: origin form only, no
 * path traversal in any spelling (`..`, `%2e%2e`, `%2f`, backslashes, NUL), bounded length.
 * What passes is a relative path the upstream URL can be built from.
 */

export type PathCheck = { readonly ok: true; readonly path: string; readonly query: string } | { readonly ok: false; readonly reason: string };

const MAX_PATH = 512;

export function checkRequestPath(target: string): PathCheck {
  if (!target.startsWith('/')) return { ok: false, reason: 'not origin-form' };
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (rawPath.length > MAX_PATH) return { ok: false, reason: 'path too long' };
  // An encoded "/" or "\" would let a segment check pass and the upstream split it again.
  if (/%2f|%5c|%00/i.test(rawPath)) return { ok: false, reason: 'encoded separator' };
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: 'bad percent-encoding' };
  }
  if (/[\\\0-\x1f\x7f]/.test(path)) return { ok: false, reason: 'control or backslash' };
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, reason: 'path traversal' };
  if (/[\0-\x20\x7f#]/.test(query)) return { ok: false, reason: 'bad query' };
  return { ok: true, path: segments.join('/'), query };
}

/** MAC addresses named in a path (`001565f4f9e1.cfg`, `cfgc074ad112233.xml`); OUI 000000 is Yealink's common-file name. */
export function macsInPath(path: string): string[] {
  const out: string[] = [];
  for (const m of path.toLowerCase().matchAll(/(?<![0-9a-f])([0-9a-f]{12})(?![0-9a-f])/g)) {
    const mac = m[1];
    if (mac !== undefined && !mac.startsWith('000000')) out.push(mac);
  }
  return out;
}
