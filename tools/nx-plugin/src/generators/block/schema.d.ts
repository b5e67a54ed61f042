/** Options of `nx g @netblocks/nx-plugin:block`, as schema.json declares them. */
export interface BlockGeneratorSchema {
  /** Block name in kebab-case, e.g. `se-block`; the package becomes `@netblocks/<name>`. Required. */
  name: string;
  /** One line for package.json and the README. Default: "<Name in words> for netblocks". */
  description?: string;
}
