// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (docs/ARCHITECTURE.md "Dependency direction"): each folder of src/ may import only the folders
// listed below, always through their index.ts; only src/net opens sockets; protocol code
// takes time from an injected Clock.
import { dirname, relative, resolve, sep } from 'node:path';
import tseslint from 'typescript-eslint';

const ALLOWED = {
  core: [],
  config: ['core'],
  platform: ['core'],
  net: ['core'],
  sip: ['core'],
  sdp: ['core'],
  stun: ['core'],
  rtp: ['core'],
  tunnel: ['core', 'net'],
  media: ['core', 'net', 'rtp', 'sdp'],
  pnp: ['core', 'net', 'sip'],
  routing: ['core', 'sip', 'sdp', 'media'],
  protect: ['core'],
  sbc: ['core', 'net', 'sip', 'sdp', 'rtp', 'stun', 'media', 'tunnel'],
  survival: ['core', 'sip', 'routing', 'tunnel'],
  cdr: ['core', 'platform', 'routing'],
  voicemail: ['core', 'platform', 'sip', 'media'],
  b2bua: ['core', 'sip', 'sdp', 'rtp', 'media', 'routing', 'voicemail'],
  capture: ['core', 'net'],
  admin: ['core', 'net', 'sip', 'tunnel', 'sbc', 'survival', 'pnp', 'routing', 'media', 'capture'],
  cli: '*',
  '.': '*',
};

const SOCKET_MODULES = ['node:dgram', 'node:net', 'node:tls', 'node:http', 'node:https', 'ws', 'dgram', 'net', 'tls', 'http', 'https'];
const MAY_OPEN_SOCKETS = new Set(['net', 'cli', '.']);
const SRC = resolve('src');

function folderOf(file) {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? '.' : parts[0];
}

const boundaries = {
  meta: { type: 'problem', schema: [], messages: {
    direction: "src/{{from}} may not import src/{{to}} (allowed: {{allowed}})",
    inner: "import src/{{to}} through its index.ts, not '{{spec}}'",
    socket: "only src/net opens sockets; src/{{from}} imports '{{spec}}'",
  } },
  create(context) {
    const file = context.filename;
    const from = folderOf(file);
    if (from === undefined) return {};
    function check(node) {
      if (!node.source || typeof node.source.value !== 'string') return;
      const spec = node.source.value;
      if (SOCKET_MODULES.includes(spec) && !MAY_OPEN_SOCKETS.has(from)) {
        context.report({ node, messageId: 'socket', data: { from, spec } });
        return;
      }
      if (!spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec);
      const to = folderOf(target);
      if (to === undefined || to === from) return;
      const allowed = ALLOWED[from];
      if (allowed !== '*' && !(allowed ?? []).includes(to)) {
        context.report({ node, messageId: 'direction', data: { from, to, allowed: (allowed ?? []).join(', ') || 'nothing' } });
        return;
      }
      if (to !== '.' && relative(resolve(SRC, to), target) !== 'index.js') {
        context.report({ node, messageId: 'inner', data: { to, spec } });
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: (node) => check({ ...node, source: node.source }) };
  },
};

const TIME_RESTRICTIONS = {
  'no-restricted-globals': ['error',
    { name: 'setTimeout', message: 'Use the injected Clock.' },
    { name: 'setInterval', message: 'Use the injected Clock.' }],
  'no-restricted-properties': ['error',
    { object: 'Date', property: 'now', message: 'Use the injected Clock.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { project: { rules: { boundaries } } },
    rules: {
      'project/boundaries': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/{sip,sdp,stun,rtp,tunnel,media,pnp,sbc,routing,survival,cdr,b2bua,protect,voicemail}/**/*.ts'],
    rules: TIME_RESTRICTIONS,
  },
);
