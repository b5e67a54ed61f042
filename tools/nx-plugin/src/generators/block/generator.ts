import { generateFiles, joinPathFragments, logger, readJson, writeJson } from '@nx/devkit';
import type { GeneratorCallback, Tree } from '@nx/devkit';
import * as path from 'node:path';
import { blockNames, PACKAGE_SCOPE, validateBlockName } from './names.js';
import type { BlockNames } from './names.js';
import { blockPackageJson } from './package-json.js';
import type { BlockGeneratorSchema } from './schema';

/** Workspace folders whose children are packages (pnpm-workspace.yaml). */
const PACKAGE_FOLDERS = ['packages', 'tools'];

/** Where a block package goes, relative to the workspace root. */
export function blockPackageRoot(name: string): string {
  return joinPathFragments('packages', name);
}

/** The changeset that releases a new block package. */
export function blockChangesetPath(name: string): string {
  return joinPathFragments('.changeset', `${name}-initial.md`);
}

/** Throws unless neither the folder, the package name nor the changeset of the block is taken. */
function assertNameIsFree(tree: Tree, names: BlockNames): void {
  const { fileName, packageName } = names;
  const root = blockPackageRoot(fileName);
  if (tree.exists(root)) {
    throw new Error(`\`name\` is taken: ${root} already exists (got name="${fileName}")`);
  }
  for (const folder of PACKAGE_FOLDERS) {
    for (const child of tree.exists(folder) ? tree.children(folder) : []) {
      const manifest = joinPathFragments(folder, child, 'package.json');
      if (tree.isFile(manifest) && readJson<{ name?: string }>(tree, manifest).name === packageName) {
        throw new Error(`\`name\` is taken: ${packageName} is already the package in ${folder}/${child} (got name="${fileName}")`);
      }
    }
  }
  const changeset = blockChangesetPath(fileName);
  if (tree.exists(changeset)) {
    throw new Error(`\`name\` is taken: ${changeset} already exists (got name="${fileName}")`);
  }
}

/**
 * `nx g @netblocks/nx-plugin:block <name>`: writes packages/<name>/ as `@netblocks/<name>` (op,
 * layer, register entry, index, tests, README, build and test configs) and a changeset that
 * releases it as a minor version.
 */
export async function blockGenerator(tree: Tree, options: BlockGeneratorSchema): Promise<GeneratorCallback> {
  const names = blockNames(validateBlockName(options.name));
  assertNameIsFree(tree, names);
  const description = options.description?.replace(/\s+/g, ' ').trim() || `${names.title} for netblocks`;
  const root = blockPackageRoot(names.fileName);

  // Template names end in __tmpl__ so that tsc and eslint never read them as sources.
  generateFiles(tree, path.join(import.meta.dirname, 'files'), root, { ...names, description, tmpl: '' });
  writeJson(tree, joinPathFragments(root, 'package.json'), blockPackageJson(names, description));
  tree.write(
    blockChangesetPath(names.fileName),
    `---\n'${names.packageName}': minor\n---\n\nAdd \`${names.packageName}\`: ${description.replace(/\.$/, '')}.\n`,
  );

  return () => {
    logger.info(
      `Created ${names.packageName} in ${root}. Run \`pnpm install\` to link its workspace ` +
        `dependencies (${PACKAGE_SCOPE}/core, ${PACKAGE_SCOPE}/test-utils, ${PACKAGE_SCOPE}/build-config), then ` +
        `\`npx nx run-many -t build typecheck lint test -p ${names.packageName}\`.`,
    );
  };
}

export default blockGenerator;
