/** Exit codes of the CLI, documented in the README. */
export const EXIT_OK = 0;
/** The run finished but something failed: bad lines, refused writes, a truncated file, a target lost mid-way. */
export const EXIT_FAILED = 1;
/** Nothing could start: bad usage, unreachable Redis, unreadable file, not a workflow-store file, wrong version. */
export const EXIT_CANNOT_START = 2;

/** An error the CLI reports as one line (no stack) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CANNOT_START,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
