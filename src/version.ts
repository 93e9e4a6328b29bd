import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to dist/ (or src/ under a loader). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' && 'name' in parsed && parsed.name === 'sbc-agent') {
        return parsed.version;
      }
    } catch {
      // try the next candidate location
    }
  }
  return '0.0.0';
}
