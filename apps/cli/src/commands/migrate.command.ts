import { DEFAULT_TENANT } from '#workflow-store';
import { Command, Option } from 'nest-commander';
import { CliCommand } from './cli-command.js';
import { CliOutput } from '../io/cli-output.js';
import { openStore, redisOverrides } from '../io/open-store.js';
import { runRestore } from '../restore-run.js';
import { runCommand } from '../run-command.js';

interface MigrateOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  tenant: string;
}

@Command({
  name: 'migrate',
  description:
    'Copy every live workflow from a memory snapshot file, or from a running memory-backed API, into Redis. ' +
    'Keeps ids, versions, timestamps and remaining TTLs; skips the expired; never overwrites a newer version; safe to re-run.',
})
export class MigrateCommand extends CliCommand {
  async run(_args: string[], options: MigrateOptions): Promise<void> {
    const output = new CliOutput();
    await runCommand(output, () =>
      runRestore({
        verb: 'migrate',
        source: options.from,
        openTarget: () => openStore(redisOverrides(options.to), output),
        tenant: options.tenant,
        dryRun: options.dryRun === true,
        output,
      }),
    );
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

  @Option({ flags: '--dry-run', description: 'read the target and report what would be copied, writing nothing' })
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
