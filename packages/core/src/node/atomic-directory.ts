import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** One file to write: a bare name inside the directory, and its bytes. */
export interface DirectoryFile {
  name: string;
  data: Uint8Array;
}

/** Creates `file` (it must not exist), writes `data` and flushes it to disk before resolving. */
export async function writeFileDurably(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The file-system steps `replaceDirectory` takes, gathered in one mutable object so that a test
 * can make one of them fail and check that nothing is left half-written. Not a public API.
 */
export const fileOps = {
  writeFileDurably,
  /** Flushes a directory's entries (new names, renames) to disk; Windows cannot open directories. */
  async syncDirectory(dir: string): Promise<void> {
    if (process.platform === 'win32') return;
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from: string, to: string): Promise<void> => fs.rename(from, to),
};

/** What is at the target path now, and so what replacing it takes. */
async function inspectTarget(target: string, isReplaceable: (entries: string[]) => boolean): Promise<'absent' | 'directory'> {
  let stats;
  try {
    stats = await fs.stat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (!stats.isDirectory()) throw new Error(`${target} exists and is not a directory`);
  const entries = await fs.readdir(target);
  if (entries.length > 0 && !isReplaceable(entries)) {
    throw new Error(
      `refusing to replace ${target}: it is a non-empty directory that does not look like a saved model ` +
        `(its files would be deleted); choose an empty or new directory`,
    );
  }
  return 'directory';
}

/**
 * Makes `dir` hold exactly `files`, atomically: they are written and flushed into a fresh temp
 * directory beside `dir` (same parent, so a rename moves it), then swapped in. On any failure the
 * temp directory is removed and whatever was at `dir` stays as it was. An existing non-empty
 * `dir` is only replaced when `isReplaceable(itsEntryNames)` says so.
 */
export async function replaceDirectory(
  dir: string,
  files: readonly DirectoryFile[],
  isReplaceable: (entries: string[]) => boolean,
): Promise<void> {
  const target = path.resolve(dir);
  const existing = await inspectTarget(target, isReplaceable);
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const temp = await fs.mkdtemp(path.join(parent, `.${path.basename(target)}.saving-`));
  const aside = `${temp}-previous`;
  let movedAside = false;
  try {
    for (const file of files) await fileOps.writeFileDurably(path.join(temp, file.name), file.data);
    await fileOps.syncDirectory(temp);
    if (existing === 'directory') {
      await fileOps.rename(target, aside);
      movedAside = true;
    }
    try {
      await fileOps.rename(temp, target);
    } catch (error) {
      if (movedAside) await restore(aside, target, error);
      movedAside = false;
      throw error;
    }
    await fileOps.syncDirectory(parent);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  if (movedAside) await fs.rm(aside, { recursive: true, force: true });
}

/** Puts the previous directory back after a failed swap; if even that fails, says where it is. */
async function restore(aside: string, target: string, cause: unknown): Promise<void> {
  try {
    await fileOps.rename(aside, target);
  } catch (restoreError) {
    throw new Error(
      `could not move the new files into ${target} (${String(cause)}), nor put the previous ones back ` +
        `(${String(restoreError)}); the previous directory is at ${aside}`,
      { cause },
    );
  }
}
