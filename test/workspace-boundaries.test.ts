// Which workspace may import which. Every source file's import specifiers are scanned (package names and
// relative paths), and followed file by file, so that a rule holds through any chain of imports.
// Test code is left out: integration tests start other services on purpose (the worker's pipeline tests
// run the API); the rules govern what ships.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVICES = ['api', 'collab-server', 'gpu-worker'];
const LIBRARIES = ['db', 'workflows', 'storage'];

/** For each workspace, the workspaces it must never reach. */
const FORBIDDEN: Record<string, string[]> = {
  // The site goes through the API for data and media, and meets the worker only through the API's jobs.
  web: ['db', 'storage', 'gpu-worker'],
  // Libraries know no service and no pages.
  ...Object.fromEntries(LIBRARIES.map((lib) => [lib, [...SERVICES, 'web']])),
  // Services know no pages, and meet each other only through the queue, Redis and the database.
  ...Object.fromEntries(SERVICES.map((service) => [service, ['web', ...SERVICES.filter((other) => other !== service)]])),
};

/**
 * What the web may see of a service: the files its contract entries reach, nothing else. The collab-server's
 * are the comic document's model and the websocket handoff that the front server speaks to it.
 */
const CONTRACTS: Record<string, string[]> = {
  api: ['api/src/contract.ts'],
  'collab-server': ['collab-server/src/model/index.ts', 'collab-server/src/handoff.ts'],
};

interface Import {
  from: string;
  specifier: string;
  /** The workspace it lands in, or null for an outside package. */
  workspace: string | null;
  /** The file it lands on, when it is one of ours and exists. */
  file: string | null;
}

interface Repository {
  workspaces: Map<string, { name: string; dependencies: string[] }>;
  /** Shipped source files (repository-relative) and their imports. */
  imports: Map<string, Import[]>;
}

const SOURCE = /\.(ts|js|mjs|svelte)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'build', 'test']);
const isTestFile = (path: string) => /\.(test|spec)\.ts$/.test(path);

// Whole-statement type imports (`import type …`, `export type … from`) are erased before anything runs and
// ship nothing: a page may share a library's types (the comic summary's shape) without reaching its code.
const SPECIFIERS = [
  /\b(?:import|export)\s+(?!type\s)(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"\n]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

export function specifiersOf(source: string): string[] {
  return SPECIFIERS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

function sourceFiles(root: string, folder: string): string[] {
  return readdirSync(join(root, folder)).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(join(root, path)).isDirectory()) return entry.startsWith('.') || SKIPPED_DIRS.has(entry) ? [] : sourceFiles(root, path);
    return SOURCE.test(entry) && !isTestFile(entry) ? [path] : [];
  });
}

function loadRepository(root: string): Repository {
  const folders: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  const manifests = new Map(folders.map((folder) => [folder, JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8'))]));
  const byName = new Map([...manifests].map(([folder, pkg]) => [pkg.name as string, folder]));
  const workspaceOf = (path: string) => folders.find((folder) => path === folder || path.startsWith(folder + sep)) ?? null;
  const existing = (path: string) =>
    [path, `${path}.ts`, join(path, 'index.ts'), path.replace(/\.js$/, '.ts')].find((candidate) => existsSync(join(root, candidate)) && statSync(join(root, candidate)).isFile()) ?? null;

  const resolveImport = (from: string, specifier: string): Import => {
    if (specifier.startsWith('.')) {
      const path = relative(root, resolve(root, dirname(from), specifier));
      // Null outside every workspace: the root's shared configuration (svelte.config.js) belongs to no workspace.
      return { from, specifier, workspace: workspaceOf(path), file: existing(path) };
    }
    if (specifier.startsWith('#')) {
      const workspace = workspaceOf(from)!;
      const [pattern, target] = Object.entries<string>(manifests.get(workspace).imports ?? {}).find(([key]) => specifier.startsWith(key.replace('*', ''))) ?? [];
      const path = pattern && target ? join(workspace, target.replace('*', specifier.slice(pattern.length - 1))) : null;
      return { from, specifier, workspace, file: path && existing(path) };
    }
    const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    const workspace = byName.get(name);
    if (!workspace) return { from, specifier, workspace: null, file: null };
    const target = manifests.get(workspace).exports?.[`.${specifier.slice(name.length)}`];
    return { from, specifier, workspace, file: typeof target === 'string' ? existing(join(workspace, target)) : null };
  };

  const imports = new Map<string, Import[]>();
  for (const folder of folders) {
    for (const file of sourceFiles(root, folder)) {
      imports.set(file, specifiersOf(readFileSync(join(root, file), 'utf8')).map((specifier) => resolveImport(file, specifier)));
    }
  }
  const workspaces = new Map(
    [...manifests].map(([folder, pkg]) => [folder, { name: pkg.name as string, dependencies: Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }) }]),
  );
  return { workspaces, imports };
}

/** Every file reached from `start` by following imports, with the chain that got there. */
function reach(repo: Repository, start: string[]): Map<string, string[]> {
  const chains = new Map(start.map((file) => [file, [file]]));
  const queue = [...start];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const found of repo.imports.get(file) ?? []) {
      if (!found.file || chains.has(found.file)) continue;
      chains.set(found.file, [...chains.get(file)!, found.file]);
      queue.push(found.file);
    }
  }
  return chains;
}

const workspaceOfFile = (repo: Repository, file: string) => [...repo.workspaces.keys()].find((folder) => file.startsWith(folder + sep));
const filesOf = (repo: Repository, workspace: string) => [...repo.imports.keys()].filter((file) => workspaceOfFile(repo, file) === workspace);

/** Each broken rule, as one readable line. */
export function violations(repo: Repository): string[] {
  const found: string[] = [];
  for (const [workspace, { name, dependencies }] of repo.workspaces) {
    const own = filesOf(repo, workspace);
    for (const file of own) {
      for (const imported of repo.imports.get(file)!) {
        if (imported.specifier.startsWith('.') && imported.workspace && imported.workspace !== workspace) {
          found.push(`${file} reaches into ${imported.workspace} by a relative path (${imported.specifier}); import its package instead`);
        }
        const target = imported.workspace && repo.workspaces.get(imported.workspace);
        if (!imported.specifier.startsWith('.') && target && imported.workspace !== workspace && !dependencies.includes(target.name)) {
          found.push(`${file} imports ${imported.specifier}, but ${name} does not depend on ${target.name}`);
        }
      }
    }
    const reached = reach(repo, own);
    for (const [file, chain] of reached) {
      const landed = workspaceOfFile(repo, file);
      // One line per way in, not one per file behind it.
      const entering = landed !== workspaceOfFile(repo, chain.at(-2) ?? '');
      if (landed && entering && FORBIDDEN[workspace]?.includes(landed)) found.push(`${workspace} must not reach ${landed}: ${chain.join(' → ')}`);
    }
    if (workspace === 'web') {
      for (const [service, contract] of Object.entries(CONTRACTS)) {
        const allowed = reach(repo, contract);
        for (const [file, chain] of reached) {
          if (workspaceOfFile(repo, file) === service && !allowed.has(file)) found.push(`web reaches ${service} beyond its contract: ${chain.join(' → ')}`);
        }
      }
    }
  }
  return found;
}

/** The ComfyUI simulator stands in for a GPU in development and tests: the worker that ships never runs it. */
const WORKER_MAIN = join('gpu-worker', 'src', 'main.ts');
const SIMULATOR = join('gpu-worker', 'src', 'simulator');

/** Each way the worker's production entry reaches the simulator (none, when all is well). */
export function simulatorInWorker(repo: Repository): string[] {
  const inSimulator = (file = '') => file.startsWith(SIMULATOR + sep);
  return [...reach(repo, [WORKER_MAIN]).values()].filter((chain) => inSimulator(chain.at(-1)) && !inSimulator(chain.at(-2))).map((chain) => chain.join(' → '));
}

const root = resolve(import.meta.dirname, '..');
const repo = loadRepository(root);

describe('workspace boundaries', () => {
  it('reads the imports of every workspace, packages and relative paths alike', () => {
    // Guards against a scan that silently finds nothing and so passes.
    const all = [...repo.imports.values()].flat();
    expect(all.some((i) => i.from.startsWith(`web${sep}`) && i.file === join('collab-server', 'src', 'model', 'index.ts'))).toBe(true);
    expect(all.some((i) => i.from.startsWith(`gpu-worker${sep}`) && i.workspace === 'storage')).toBe(true);
    expect(all.some((i) => i.specifier.startsWith('.') && i.file?.endsWith('.svelte'))).toBe(true);
    for (const workspace of repo.workspaces.keys()) expect(filesOf(repo, workspace).length, workspace).toBeGreaterThan(0);
  });

  it('keeps every rule: web off the database and service internals, libraries off services, services off pages and each other', () => {
    expect(violations(repo)).toEqual([]);
  });

  it('reports a forbidden import, even one that goes through another workspace', () => {
    // The same repository with one more shipped file: the worker reaching the API through the web.
    const bad = structuredClone(repo);
    const add = (from: string, to: string, workspace: string) =>
      bad.imports.set(from, [...(bad.imports.get(from) ?? []), { from, specifier: '../../x.ts', workspace, file: to }]);
    add(join('gpu-worker', 'src', 'bad.ts'), join('web', 'src', 'bad.ts'), 'web');
    add(join('web', 'src', 'bad.ts'), join('api', 'src', 'app.ts'), 'api');
    expect(violations(bad)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('gpu-worker must not reach web'),
        expect.stringContaining('gpu-worker must not reach api'),
        expect.stringContaining('web reaches api beyond its contract'),
        expect.stringContaining(`${join('gpu-worker', 'src', 'bad.ts')} reaches into web by a relative path`),
      ]),
    );
  });

  it('keeps the ComfyUI simulator out of the worker that ships: not imported, not exported, not in the image', () => {
    expect(repo.imports.has(WORKER_MAIN)).toBe(true);
    expect(simulatorInWorker(repo)).toEqual([]);
    const exported = Object.values<string>(JSON.parse(readFileSync(join(root, 'gpu-worker', 'package.json'), 'utf8')).exports ?? {});
    expect(exported.filter((target) => join('gpu-worker', target).startsWith(SIMULATOR))).toEqual([]);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).toContain(SIMULATOR.split(sep).join('/'));

    // The check sees an import of it anywhere on the way from main.ts.
    const bad = structuredClone(repo);
    const processor = join('gpu-worker', 'src', 'worker', 'processor.ts');
    const simulator = join(SIMULATOR, 'index.ts');
    bad.imports.set(processor, [...bad.imports.get(processor)!, { from: processor, specifier: '../simulator/index.ts', workspace: 'gpu-worker', file: simulator }]);
    expect(simulatorInWorker(bad)).toEqual([[WORKER_MAIN, join('gpu-worker', 'src', 'worker.ts'), processor, simulator].join(' → ')]);
  });

  it('finds the specifiers of every import form that ships', () => {
    const source = [
      "import a from 'a';",
      "import { type B,\n  c } from '@scope/b';",
      "import type { D } from './d.ts';",
      "export type { D2 } from './d2.ts';",
      "import './side-effect.ts';",
      "export * from '../e.ts';",
      "export { f as g } from 'f';",
      "const h = await import('h');",
    ].join('\n');
    // Type-only statements are left out: they ship nothing.
    expect(specifiersOf(source).sort()).toEqual(['../e.ts', './side-effect.ts', '@scope/b', 'a', 'f', 'h'].sort());
  });
});
