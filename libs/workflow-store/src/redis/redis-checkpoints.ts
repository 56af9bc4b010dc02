import type { CheckpointPage, CheckpointPut, CheckpointStorage, StoredCheckpoint, StoredWrite, ThreadWrite, WritesPut } from '../checkpoints/checkpoint-storage.js';
import type { RecordWrite } from '../shared/storage-backend.js';
import type { RedisStorageBackend } from './redis-storage.backend.js';
import { scriptRefusal, ScriptStatus } from './redis-errors.js';

/** Separators of includes/checkpoints.lua: within a field name, and between list entries. */
const SEP = '\0';
const LIST = '\x01';

/**
 * Checkpoints of LangGraph threads on Redis (see includes/checkpoints.lua): a put is one save-12 script that also
 * writes the thread's workflow; pending writes one checkpoint-writes-3 script (or save-12 when they change the
 * workflow); reads one read-only script each. Every key is the thread's, under its shard's hash tag.
 */
export class RedisCheckpoints implements CheckpointStorage {
  constructor(private readonly backend: RedisStorageBackend) {}

  async put(input: CheckpointPut): Promise<void> {
    await this.backend.saveThread(recordWrite(input.thread, input.write), input.write.type, input.write.leaseToken, [
      'c',
      input.ns,
      input.id,
      input.parentId ?? '',
      input.record,
      input.snapshotChannels.join(LIST),
      input.carriedChannels.join(LIST),
      input.keepLast,
      input.versions.flat().join(LIST),
      ...input.values.flat(),
    ]);
  }

  async putWrites(input: WritesPut): Promise<void> {
    const pairs = input.writes.flatMap((w) => [w.idx, w.record]);
    if (input.write) {
      await this.backend.saveThread(recordWrite(input.thread, input.write), input.write.type, input.write.leaseToken, ['w', input.ns, input.id, input.taskId, ...pairs]);
      return;
    }
    const keys = this.backend.keys.forWorkflow(input.thread);
    const reply = await this.backend.runThreadScript(
      'checkpointWrites',
      input.thread,
      [keys.record, keys.checkpoints, keys.checkpointOrder],
      [input.ns, input.id, input.taskId, ...pairs],
      true,
    );
    if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, input.thread);
  }

  async read(thread: string, ns: string, id: string | undefined): Promise<StoredCheckpoint | undefined> {
    const keys = this.backend.keys.thread(thread);
    const reply = (await this.backend.runThreadScript('checkpointRead', thread, [keys.checkpoints, keys.checkpointOrder], [ns, id ?? ''], false)) as Buffer[];
    if (reply.length === 0) return undefined;
    return checkpointOf(ns, reply);
  }

  async page(thread: string, ns: string | undefined, before: string | undefined, cursor: string | null, limit: number): Promise<CheckpointPage> {
    const keys = this.backend.keys.thread(thread);
    const from = cursor !== null ? `(${cursor}` : ns === undefined ? '+' : before !== undefined ? `(${ns}${SEP}${before}` : `(${ns}${LIST}`;
    const to = ns === undefined ? '-' : `[${ns}${SEP}`;
    const reply = (await this.backend.runThreadScript('checkpointList', thread, [keys.checkpoints, keys.checkpointOrder], [from, to, limit, before ?? ''], false)) as [
      Buffer,
      ...Buffer[][],
    ];
    const [last, ...rows] = reply;
    return {
      items: rows.map((row) => checkpointOf(row[0]?.toString() ?? '', row.slice(1))),
      next: last.length > 0 ? last.toString() : null,
    };
  }
}

function recordWrite(thread: string, write: ThreadWrite): RecordWrite {
  return {
    id: thread,
    type: undefined, // keeps the stored type; a new workflow gets write.type (saveThread)
    status: write.status,
    stateJson: write.stateJson ?? '', // '' keeps the stored state (save-12)
    ttlSeconds: write.ttlSeconds,
  };
}

/** { id, record, refs, index, value…, write… } as checkpoint-read-2 / checkpoint-list-2 answer it (cpRead). */
function checkpointOf(ns: string, reply: Buffer[]): StoredCheckpoint {
  const [id, record, refs, index, ...rest] = reply as [Buffer, Buffer, Buffer, Buffer, ...Buffer[]];
  const refParts = refs.length > 0 ? refs.toString().split(LIST) : [];
  const values: StoredCheckpoint['values'] = [];
  for (let i = 0; i + 2 < refParts.length; i += 3) values.push({ channel: refParts[i] as string, record: rest[values.length] ?? Buffer.alloc(0) });
  const names = index.length > 0 ? index.toString().split(LIST) : [];
  const writes: StoredWrite[] = names.map((name, i) => {
    const cut = name.lastIndexOf(SEP);
    return { taskId: name.slice(0, cut), idx: Number(name.slice(cut + 1)), record: rest[values.length + i] ?? Buffer.alloc(0) };
  });
  return { ns, id: id.toString(), record, values, writes };
}
