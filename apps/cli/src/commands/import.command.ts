import { Command, Option } from 'nest-commander';
import { RestoreCommand, type RestoreOptions } from './restore-command.js';

interface ImportOptions extends RestoreOptions {
  in: string;
  redisUrl?: string;
}

@Command({
  name: 'import',
  description:
    'Restore an export (or snapshot) into the store the environment configures (USE_REDIS, REDIS_URL, ... or MEMORY_SNAPSHOT_PATH). ' +
    'Never overwrites a newer version; bad lines are reported with their line number and the rest imported. ' +
    'A file exported with --with-history brings each workflow\'s earlier versions back as its history (as many as the ' +
    'target keeps, WORKFLOW_HISTORY_VERSIONS: the newest); a line whose history holds anything but earlier versions of ' +
    'that workflow fails and none of it is written. A file without history imports as before.',
})
export class ImportCommand extends RestoreCommand {
  async run(_args: string[], options: ImportOptions): Promise<void> {
    await this.restore('import', options.in, options.redisUrl, options);
  }

  @Option({ flags: '--in <file>', description: 'the export file, or - for stdin', required: true })
  parseIn(value: string): string {
    return value;
  }

  @Option({ flags: '--redis-url <url>', description: 'shorthand for USE_REDIS=true REDIS_URL=<url>' })
  parseRedisUrl(value: string): string {
    return value;
  }
}
