import { names } from '@nx/devkit';

/** Every name the templates need, all derived from one kebab-case block name. */
export interface BlockNames {
  /** The block name as given, e.g. `se-block`: directory name and file-name prefix. */
  fileName: string;
  /** npm package name, e.g. `@netblocks/se-block`. */
  packageName: string;
  /** PascalCase name, e.g. `SeBlock`: suffix of the Args interface and the layer class. */
  pascalName: string;
  /** camelCase name, e.g. `seBlock`: the pure op's function name. */
  opName: string;
  /** The layer class and the className it serializes under, e.g. `NetblocksSeBlock`. */
  layerClassName: string;
  /** The name in words for prose, e.g. `Se Block`. */
  title: string;
}

/** npm scope of every netblocks package. */
export const PACKAGE_SCOPE = '@netblocks';

/** Lowercase letters and digits, starting with a letter, words joined by single hyphens. */
const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Words that cannot name the op function the generated package exports. */
const RESERVED_WORDS = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally ' +
    'for function if implements import in instanceof interface let new null package private protected public return ' +
    'static super switch this throw true try typeof var void while with yield'
  ).split(' '),
);

/**
 * Checks that `name` can name a block package and returns it. Errors name the value and, when
 * the name is merely mis-cased, suggest the kebab-case spelling.
 */
export function validateBlockName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new Error(`\`name\` is required: the block name in kebab-case, e.g. se-block (got name=${JSON.stringify(name)})`);
  }
  if (!KEBAB_CASE.test(name)) {
    const suggestion = names(name.trim()).fileName;
    const hint = KEBAB_CASE.test(suggestion) ? `; did you mean "${suggestion}"?` : '';
    throw new Error(
      '`name` must be kebab-case: lowercase letters and digits, starting with a letter, words joined by single hyphens ' +
        `(got name=${JSON.stringify(name)})${hint}`,
    );
  }
  const opName = names(name).propertyName;
  if (RESERVED_WORDS.has(opName)) {
    throw new Error(
      `\`name\` would name the op function "${opName}", a JavaScript reserved word (got name=${JSON.stringify(name)})`,
    );
  }
  return name;
}

/** Derives every template name from a block name already checked by `validateBlockName`. */
export function blockNames(name: string): BlockNames {
  const derived = names(name);
  return {
    fileName: name,
    packageName: `${PACKAGE_SCOPE}/${name}`,
    pascalName: derived.className,
    opName: derived.propertyName,
    layerClassName: `Netblocks${derived.className}`,
    title: name
      .split('-')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join(' '),
  };
}
