/** A problem with what the user asked for (a bad option value, a missing file): the CLI prints its
 * message on one line and exits with code 1, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}
