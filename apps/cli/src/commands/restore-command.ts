import { DEFAULT_TENANT } from '#workflow-store';
import { Option } from 'nest-commander';
import { CliOutput } from '../io/cli-output.js';
import { openStore, redisOverrides } from '../io/open-store.js';
import { runRestore } from '../restore-run.js';
import { runCommand } from '../run-command.js';
import { CliCommand } from './cli-command.js';

/** The options migrate and import share. */
export interface RestoreOptions {
  dryRun?: boolean;
  tenant: string;
}

/** Base of the commands that read an export or snapshot into a store: the same options, summary and exit codes. */
export abstract class RestoreCommand extends CliCommand {
  /** Restores `source` into the store the environment configures, with `redisUrl` laid over it when given. */
  protected async restore(verb: string, source: string, redisUrl: string | undefined, options: RestoreOptions): Promise<void> {
    const output = new CliOutput();
    await runCommand(output, () =>
      runRestore({
        verb,
        source,
        openTarget: () => openStore(redisOverrides(redisUrl), output),
        tenant: options.tenant,
        dryRun: options.dryRun === true,
        output,
      }),
    );
  }

  @Option({ flags: '--dry-run', description: 'read the target and report what would be written, writing nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({
    flags: '--tenant <tenant>',
    description: 'tenant of workflows whose lines name none (lines of an export name theirs)',
    defaultValue: DEFAULT_TENANT,
  })
  parseTenant(value: string): string {
    return value;
  }
}
