import { Command, Option } from 'nest-commander';
import { RestoreCommand, type RestoreOptions } from './restore-command.js';

interface MigrateOptions extends RestoreOptions {
  from: string;
  to: string;
}

@Command({
  name: 'migrate',
  description:
    'Copy every live workflow from a memory snapshot file, or from a running memory-backed API, into Redis. ' +
    'Keeps ids, versions, timestamps and remaining TTLs; skips the expired; never overwrites a newer version; safe to re-run. ' +
    'A source that carries history (a file exported with --with-history) brings it along, as import does.',
})
export class MigrateCommand extends RestoreCommand {
  async run(_args: string[], options: MigrateOptions): Promise<void> {
    await this.restore('migrate', options.from, options.to, options);
  }

  @Option({
    flags: '--from <source>',
    description: 'a memory snapshot file (MEMORY_SNAPSHOT_PATH of the API), or the http(s):// base URL of a running API with ADMIN_ROUTES=true',
    required: true,
  })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <redis-url>', description: 'the target Redis (redis:// or rediss://); other REDIS_* variables apply', required: true })
  parseTo(value: string): string {
    return value;
  }
}
