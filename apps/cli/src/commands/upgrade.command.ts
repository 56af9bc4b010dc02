import { MAX_SHARDS } from '#workflow-store';
import { Command, Option } from 'nest-commander';
import { CliError } from '../cli-error.js';
import { CliOutput } from '../io/cli-output.js';
import { redisOverrides } from '../io/open-store.js';
import { runCommand } from '../run-command.js';
import { runUpgrade } from '../upgrade-run.js';
import { CliCommand } from './cli-command.js';

interface UpgradeOptions {
  shards?: string;
  toPrefix?: string;
  dryRun?: boolean;
  redisUrl?: string;
}

/** REDIS_KEY_PREFIX's rule: no colon or brace, which would change how keys are read. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** `--shards` as REDIS_SHARDS takes it; checked here so the message names the option, not the variable. */
function checkedShards(value: string): string {
  const shards = Number(value);
  if (!/^\d+$/.test(value) || shards < 1 || shards > MAX_SHARDS) {
    throw new CliError(`--shards must be a whole number between 1 and ${MAX_SHARDS} (got ${value})`);
  }
  return value;
}

@Command({
  name: 'upgrade',
  description:
    'Move the Redis data under REDIS_KEY_PREFIX to storage format v2 with --shards shards (default REDIS_SHARDS): v1 data, ' +
    'tenants written with another shard count, an upgrade left unfinished. Keeps ids, versions, timestamps and remaining ' +
    'TTLs; resumable; run it with the service stopped.',
})
export class UpgradeCommand extends CliCommand {
  async run(_args: string[], options: UpgradeOptions): Promise<void> {
    const output = new CliOutput();
    await runCommand(output, async () => {
      const overrides: Record<string, string> = { ...redisOverrides(options.redisUrl) };
      if (options.shards !== undefined) overrides.REDIS_SHARDS = checkedShards(options.shards);
      if (options.toPrefix !== undefined && !PREFIX_PATTERN.test(options.toPrefix)) {
        throw new CliError(`--to-prefix must be 1-32 characters of A-Z a-z 0-9 _ . - (got ${options.toPrefix})`);
      }
      return runUpgrade({ overrides, targetPrefix: options.toPrefix, dryRun: options.dryRun === true, output });
    });
  }

  @Option({ flags: '--shards <count>', description: `shards per tenant after the upgrade, 1-${MAX_SHARDS} (default: REDIS_SHARDS, else 64)` })
  parseShards(value: string): string {
    return value;
  }

  @Option({
    flags: '--to-prefix <prefix>',
    description: 'copy into this key prefix instead of upgrading in place; the source is left as it is',
  })
  parseToPrefix(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'read everything and report what would be moved, writing nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--redis-url <url>', description: 'shorthand for USE_REDIS=true REDIS_URL=<url>' })
  parseRedisUrl(value: string): string {
    return value;
  }
}
