/**
 * The status pages' files (src/admin/page): plain HTML, CSS and ES modules, no build step. They
 * are read from the source tree beside the compiled code (dist/src/admin → src/admin/page), once,
 * when the admin server starts. The pages hold no secret; they ask for the token and keep it in
 * the browser's localStorage. The plots use uPlot (npm `uplot`), served from node_modules as
 * `/uplot.js` and `/uplot.css`: no CDN, the page works on a LAN with no Internet.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PAGE_DIR = fileURLToPath(new URL('../../../src/admin/page/', import.meta.url));

/** uPlot's browser build (a global `uPlot`) and its style sheet, by URL path. */
function uplotFiles(): ReadonlyArray<readonly [string, string]> {
  // The package's "main" is its CommonJS build in dist/, beside the browser one.
  const dist = dirname(createRequire(import.meta.url).resolve('uplot'));
  return [['/uplot.js', join(dist, 'uPlot.iife.min.js')], ['/uplot.css', join(dist, 'uPlot.min.css')]];
}

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
  const names = [`${role}.html`, `${role}.js`, 'common.js', 'plot.js', 'style.css'];
  for (const name of names) {
    const body = await readFile(`${dir}${name}`);
    files.set(`/${name}`, { type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', body });
  }
  for (const [path, file] of uplotFiles()) files.set(path, { type: TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', body: await readFile(file) });
  const index = files.get(`/${role}.html`);
  if (index !== undefined) files.set('/', index);
  return files;
}
