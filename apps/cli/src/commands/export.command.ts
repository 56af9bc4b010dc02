import { rename, rm } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_TENANT, exportChunks } from '#workflow-store';
import { Command, Option } from 'nest-commander';
import { CliCommand } from './cli-command.js';
import { CliError, EXIT_FAILED, EXIT_OK } from '../cli-error.js';
import { CliOutput, costOf } from '../io/cli-output.js';
import { openStore, redisOverrides, type OpenedStore } from '../io/open-store.js';
import { startProgress } from '../io/progress.js';
import { runCommand } from '../run-command.js';

interface ExportOptions {
  out: string;
  redisUrl?: string;
  tenant: string;
  withHistory?: boolean;
}

@Command({
  name: 'export',
  description:
    'Write every live workflow of the store the environment configures (USE_REDIS, REDIS_URL, ... or MEMORY_SNAPSHOT_PATH) ' +
    'to an NDJSON file: a header line, one workflow per line, an end line. Streams: memory stays flat. ' +
    "With --with-history each workflow's line also carries its kept earlier versions (WORKFLOW_HISTORY_VERSIONS), " +
    'which import restores as its history.',
})
export class ExportCommand extends CliCommand {
  async run(_args: string[], options: ExportOptions): Promise<void> {
    const toStdout = options.out === '-';
    const output = new CliOutput(toStdout);
    await runCommand(output, async () => {
      const opened = await openStore(redisOverrides(options.redisUrl), output);
      try {
        const source = { ...opened, tenant: options.tenant, withHistory: options.withHistory === true };
        return toStdout ? await exportTo(process.stdout, 'stdout', source, output) : await exportToFile(options.out, source, output);
      } finally {
        await opened.store.close();
      }
    });
  }

  @Option({ flags: '--out <file>', description: 'the file to write (replaced only once the export is complete), or - for stdout', required: true })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--redis-url <url>', description: 'shorthand for USE_REDIS=true REDIS_URL=<url>' })
  parseRedisUrl(value: string): string {
    return value;
  }

  @Option({ flags: '--tenant <tenant>', description: 'the tenant to export; every line names it', defaultValue: DEFAULT_TENANT })
  parseTenant(value: string): string {
    return value;
  }

  @Option({
    flags: '--with-history',
    description:
      "also write each workflow's kept earlier versions on its line (\"history\", oldest first), for import to restore as its history. " +
      'Costs one history read plus one read per kept version, per workflow; a version trimmed meanwhile is left out. ' +
      'The file is format version 2, which builds without history support refuse (default: off, version 1)',
  })
  parseWithHistory(): boolean {
    return true;
  }
}

/** The store and the tenant whose workflows are exported, and whether their history goes along. */
type ExportSource = OpenedStore & { tenant: string; withHistory: boolean };

/** Writes next to `path` and renames at the end, so `path` is either the complete export or untouched. */
async function exportToFile(path: string, opened: ExportSource, output: CliOutput): Promise<number> {
  const temp = `${path}.${process.pid}.tmp`;
  let handle;
  try {
    handle = await open(temp, 'wx', 0o600);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const code = await exportTo(handle.createWriteStream(), path, opened, output);
    await rename(temp, path);
    return code;
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof CliError) throw new CliError(`${error.message}; ${path} was not written`, error.exitCode);
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function exportTo(destination: Writable, name: string, opened: ExportSource, output: CliOutput): Promise<number> {
  const startedAt = performance.now();
  const progress = startProgress('export');
  let written = 0;
  let versions = 0;
  try {
    const chunks = exportChunks(opened.store.forTenant(opened.tenant), {
      tenant: opened.tenant,
      withHistory: opened.withHistory,
      onPage: (done, expected, earlier) => {
        written = done;
        versions = earlier;
        progress.update(done, expected, opened.withHistory ? `earlier versions ${earlier}` : '');
      },
    });
    await pipeline(Readable.from(chunks, { objectMode: false }), destination, { end: destination !== process.stdout });
  } catch (error) {
    throw new CliError(`export from ${opened.name} failed after ${written} workflows: ${(error as Error).message}`, EXIT_FAILED);
  } finally {
    progress.stop();
  }
  const carried = opened.withHistory ? ` with ${versions} earlier versions` : '';
  output.summary(`export: ${written} workflows${carried} of tenant ${opened.tenant} from ${opened.name} written to ${name} (${costOf(startedAt, written)})`);
  return EXIT_OK;
}
