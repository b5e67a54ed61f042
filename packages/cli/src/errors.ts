/** A problem with what the user asked for (a bad option value, a missing file): the CLI prints its
 * message on one line and exits with code 1, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The first line of `error`'s message, cut at `max` characters (a list of 40 layer names stays readable). */
export function oneLine(error: unknown, max = 300): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0] as string;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
