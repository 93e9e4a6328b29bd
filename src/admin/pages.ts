/**
 * The status pages' files (src/admin/page): plain HTML, CSS and ES modules, no build step. They
 * are read from the source tree beside the compiled code (dist/src/admin → src/admin/page), once,
 * when the admin server starts. The pages hold no secret; they ask for the token and keep it in
 * the browser's localStorage.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const PAGE_DIR = fileURLToPath(new URL('../../../src/admin/page/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export interface PageFile {
  readonly type: string;
  readonly body: Buffer;
}

/** URL path → file, for one role's page: `/` is `<role>.html`. */
export async function loadPages(role: 'agent' | 'hub', dir = PAGE_DIR): Promise<Map<string, PageFile>> {
  const files = new Map<string, PageFile>();
  const names = [`${role}.html`, `${role}.js`, 'common.js', 'style.css'];
  for (const name of names) {
    const body = await readFile(`${dir}${name}`);
    files.set(`/${name}`, { type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', body });
  }
  const index = files.get(`/${role}.html`);
  if (index !== undefined) files.set('/', index);
  return files;
}
