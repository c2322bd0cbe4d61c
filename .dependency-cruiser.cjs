// @ts-check
// The import rules of docs/architecture.md ("Layers"), checked by `npm run deps` (part of
// `npm run lint`). A module in src/ imports from its own layer and the layers below it, never from
// a layer above; no import cycles; only the engine imports TF.js. Type-only imports count: they are
// arrows in the source even though the compiler erases them.

/** The layer table of docs/architecture.md, bottom first: each entry is a layer's folders. */
const layers = [
  ['engine', 'io'],
  ['distributions', 'targets', 'nets', 'data'],
  ['annealing'],
  ['eval'],
  ['train'],
  ['flows'],
  ['models'],
  ['runs'],
  ['parallel', 'cli'],
];

/** The public entry points, which re-export from every layer. */
const entries = ['index', 'internals', 'flows', 'vae', 'browser'];

/** @param {string[]} folders */
const under = (folders) => `^src/(${folders.join('|')})/`;

const allFolders = layers.flat();
const entryFiles = `^src/(${entries.join('|')})\\.ts$`;

/** One rule per layer: nothing in it imports from the layers above it. */
const upward = layers.slice(0, -1).map((folders, i) => ({
  name: `layer-${i + 1}-no-upward-import`,
  comment:
    `Layer ${i + 1} (src/${folders.join('/, src/')}/) imports only from its own layer and the ` +
    'layers below it (docs/architecture.md, "Layers").',
  severity: /** @type {const} */ ('error'),
  from: { path: under(folders) },
  to: { path: under(layers.slice(i + 1).flat()) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules in src/ do not import each other in a cycle, not even through types.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-unlayered-module',
      comment:
        'Every module under src/ is an entry point or sits in a folder of the layer table; a new ' +
        'folder goes into the table here and in docs/architecture.md.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: [under(allFolders), entryFiles] },
    },
    {
      name: 'no-unlayered-importer',
      comment: 'A module in src/ outside the layer table and the entry points imports nothing.',
      severity: 'error',
      from: { path: '^src/', pathNot: [under(allFolders), entryFiles] },
      to: {},
    },
    {
      name: 'tfjs-only-in-engine',
      comment: 'Only src/engine/ imports TF.js; everything else goes through src/engine/index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engine/' },
      to: { path: '(^|/)node_modules/@tensorflow/|^@tensorflow/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import in src/ resolves to a file or an installed package.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
