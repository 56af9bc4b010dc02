import { InvalidInputError } from '#workflow-store';
import { CliError, EXIT_CANNOT_START, EXIT_FAILED } from './cli-error.js';
import type { CliOutput } from './io/cli-output.js';

/** Runs a command body and turns its outcome into the process exit code; errors become one line on stderr. */
export async function runCommand(output: CliOutput, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    if (error instanceof CliError) {
      output.message(`error: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    output.message(`error: ${(error as Error).message ?? String(error)}`);
    // Bad input that escapes a command (e.g. --tenant a:b) is a usage error; records have their own report.
    process.exitCode = error instanceof InvalidInputError ? EXIT_CANNOT_START : EXIT_FAILED;
  }
}
