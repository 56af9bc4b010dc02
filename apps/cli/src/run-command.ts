import { CliError, EXIT_FAILED } from './cli-error.js';
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
    process.exitCode = EXIT_FAILED;
  }
}
