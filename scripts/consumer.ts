// The code a user copies from the docs, as files of a fresh TypeScript project that depends on the
// package: every example in examples/ and every ```ts block of the README and docs/guide.md. The
// guide's blocks are snippets without imports, so each gets an import of the package's names it
// uses (found in the package's own declarations) and a declared `target` where it uses one it
// does not define. The package check type-checks these in a freshly installed app; the consumer
// types test does the same against this checkout's build.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** The package's entry points whose names a snippet may use, first match wins. */
const ENTRIES = ['anneal', 'anneal/flows', 'anneal/vae'] as const;

/** A strict project as `tsc --init` makes one (skipLibCheck on: TF.js's own declarations need it). */
export function consumerTsconfig(typeRoots?: string): object {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      ...(typeRoots ? { typeRoots: [typeRoots] } : {}),
    },
    include: ['*.ts'],
  };
}

/** The ```ts blocks of a markdown text, in order. */
export function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
}

/** Names a block declares or imports itself (so that no import may shadow them). */
function ownNames(block: string): Set<string> {
  const own = new Set<string>();
  for (const m of block.matchAll(/\b(?:const|let|var|function|class)\s+(\w+)/g))
    own.add(m[1] as string);
  for (const m of block.matchAll(/\b(?:const|let|var)\s+[[{]([^\]}]*)[\]}]/g))
    for (const name of (m[1] as string).split(',')) {
      const id = /(\w+)\s*$/.exec(name.split(':').pop() ?? '')?.[1];
      if (id) own.add(id);
    }
  for (const m of block.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}/gm))
    for (const name of (m[1] as string).split(','))
      own.add(
        name
          .replace(/^\s*type\s+/, '')
          .trim()
          .split(/\s+as\s+/)
          .pop() ?? '',
      );
  return own;
}

/** A block as a module: imports of the package's names it uses and does not define itself. */
export function asModule(block: string, exported: ReadonlyMap<string, string>): string {
  const own = ownNames(block);
  const used = new Set(
    [...block.matchAll(/\b[A-Za-z_]\w*\b/g)].map((m) => m[0]).filter((n) => !own.has(n)),
  );
  const byEntry = new Map<string, string[]>();
  for (const name of used) {
    const entry = exported.get(name);
    if (entry) byEntry.set(entry, [...(byEntry.get(entry) ?? []), name]);
  }
  const lines = [...byEntry].map(
    ([entry, names]) => `import { ${names.sort().join(', ')} } from '${entry}';`,
  );
  if (used.has('target') && !own.has('target')) {
    if (!exported.has('Target')) throw new Error("the package exports no type 'Target'");
    if (!own.has('Target') && byEntry.get('anneal')?.includes('Target') !== true)
      lines.push("import type { Target } from 'anneal';");
    lines.push('declare const target: Target;');
  }
  // A block with no import or export would be a script, where top-level await is an error.
  lines.push('export {};');
  return `${lines.join('\n')}\n${block}`;
}

/**
 * The names each entry point exports (values and types), read from the package's declarations as
 * a project in `app` (with the package installed or linked in its node_modules) resolves them.
 */
export function exportedNames(app: string): Map<string, string> {
  const probe = join(app, '__exports.ts');
  writeFileSync(
    probe,
    ENTRIES.map((e, i) => `import * as e${i} from '${e}';`).join('\n') +
      '\nexport { e0, e1, e2 };\n',
  );
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  try {
    const program = ts.createProgram([probe], options);
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(probe);
    if (!source) throw new Error('cannot read the probe file');
    const names = new Map<string, string>();
    source.statements.forEach((statement, i) => {
      if (!ts.isImportDeclaration(statement)) return;
      const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
      if (!symbol) throw new Error(`the project in ${app} cannot resolve '${ENTRIES[i]}'`);
      for (const s of checker.getExportsOfModule(symbol))
        if (!names.has(s.name)) names.set(s.name, ENTRIES[i] as string);
    });
    return names;
  } finally {
    rmSync(probe);
  }
}

/** Writes tsconfig.json and the user's files into `app`; returns the files' names. */
export function writeConsumerFiles(app: string, root: string, typeRoots?: string): string[] {
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(consumerTsconfig(typeRoots), null, 2));
  const exported = exportedNames(app);
  const files: string[] = [];
  for (const file of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'))) {
    writeFileSync(join(app, file), readFileSync(join(root, 'examples', file), 'utf8'));
    files.push(file);
  }
  for (const [doc, prefix] of [
    ['README.md', 'readme'],
    ['docs/guide.md', 'guide'],
  ] as const)
    codeBlocks(readFileSync(join(root, doc), 'utf8')).forEach((block, i) => {
      const file = `${prefix}-${i + 1}.ts`;
      writeFileSync(join(app, file), asModule(block, exported));
      files.push(file);
    });
  return files;
}
