import { DEFAULT_TENANT } from '#workflow-store';
import { Command, Option } from 'nest-commander';
import { CliCommand } from './cli-command.js';
import { CliOutput } from '../io/cli-output.js';
import { openStore, redisOverrides } from '../io/open-store.js';
import { runRestore } from '../restore-run.js';
import { runCommand } from '../run-command.js';

interface ImportOptions {
  in: string;
  redisUrl?: string;
  dryRun?: boolean;
  tenant: string;
}

@Command({
  name: 'import',
  description:
    'Restore an export (or snapshot) into the store the environment configures (USE_REDIS, REDIS_URL, ... or MEMORY_SNAPSHOT_PATH). ' +
    'Never overwrites a newer version; bad lines are reported with their line number and the rest imported.',
})
export class ImportCommand extends CliCommand {
  async run(_args: string[], options: ImportOptions): Promise<void> {
    const output = new CliOutput();
    await runCommand(output, () =>
      runRestore({
        verb: 'import',
        source: options.in,
        openTarget: () => openStore(redisOverrides(options.redisUrl), output),
        tenant: options.tenant,
        dryRun: options.dryRun === true,
        output,
      }),
    );
  }

  @Option({ flags: '--in <file>', description: 'the export file, or - for stdin', required: true })
  parseIn(value: string): string {
    return value;
  }

  @Option({ flags: '--redis-url <url>', description: 'shorthand for USE_REDIS=true REDIS_URL=<url>' })
  parseRedisUrl(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'read the target and report what would be imported, writing nothing' })
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
