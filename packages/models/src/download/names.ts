// Names and addresses both download paths (Node's caches, the browser's fetch) agree on; no Node imports.

/** torch.hub's `HASH_REGEX`: the hex digits after a `-` and before a `.` of the file name. */
const HASH_IN_NAME = /-([a-f0-9]*)\./;

/** The sha256 prefix a checkpoint's file name carries (`resnet50-11ad3fa6.pth` -> `11ad3fa6`), if any. */
export function hashPrefixOf(fileName: string): string | undefined {
  return HASH_IN_NAME.exec(fileName)?.[1] || undefined;
}

/** The Hub's resolve URL of a file: `{endpoint}/{repo}/resolve/{revision}/{file}`, each part escaped. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}
