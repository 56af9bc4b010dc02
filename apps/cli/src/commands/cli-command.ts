import { CommandRunner } from 'nest-commander';
import { EXIT_CANNOT_START } from '../cli-error.js';

/** Commander's own exits that are not errors. */
/** commander's Command, as nest-commander hands it over (commander itself is not a direct dependency). */
type CommanderCommand = Parameters<CommandRunner['setCommand']>[0];

const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Base of every command: usage errors (missing or unknown option) exit with EXIT_CANNOT_START like any other
 * failure to start. nest-commander only overrides the root command's exit, so each subcommand sets its own.
 */
export abstract class CliCommand extends CommandRunner {
  override setCommand(command: CommanderCommand): this {
    command.exitOverride((error) => {
      process.exit(CLEAN_EXITS.has(error.code) ? 0 : EXIT_CANNOT_START);
    });
    return super.setCommand(command);
  }
}
