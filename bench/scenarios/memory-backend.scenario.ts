import { wants, type BenchConfig } from '../lib/bench-config.js';
import { throughputComparison, type Comparison } from '../lib/comparison.js';
import { DOC_SIZES, makeState, type JsonDoc } from '../lib/documents.js';
import { measure } from '../lib/measure.js';
import { pairedRuns } from '../lib/paired-runs.js';
import { memoryStore } from '../lib/store-factory.js';

interface MapEntry {
  version: number;
  state: JsonDoc;
}

/**
 * The memory backend against the least a correct in-process store must do: a Map whose values are copied in and
 * out with structuredClone (so callers never share stored objects), with a version check on update.
 */
export async function memoryBackendScenario(config: BenchConfig, log: (line: string) => void): Promise<Comparison[]> {
  const store = await memoryStore();
  const map = new Map<string, MapEntry>();
  const rows: Comparison[] = [];
  try {
    for (const size of DOC_SIZES) {
      const state = makeState(size.bytes);
      const id = `m${size.tag}`;
      let version = (await store.save(id, { type: 'invoice', state })).version;
      map.set(id, { version: 1, state: structuredClone(state) });
      if (wants(config, 'memory-get')) {
        log(`memory get ${size.label}`);
        const get = await pairedRuns(
          config.rounds,
          () => measure(async () => { if (!(await store.get(id))) throw new Error('missing'); }, config.memoryLoad),
          () =>
            measure(async () => {
              const entry = map.get(id);
              if (!entry) throw new Error('missing');
              return structuredClone(entry.state);
            }, config.memoryLoad),
        );
        rows.push(
          throughputComparison(
            { group: 'memory', figure: 'memory backend get', size: size.label, subjectLabel: 'store.get (memory)', baselineLabel: 'Map.get + structuredClone', ...get },
            0.5,
          ),
        );
      }
      if (wants(config, 'memory-update')) {
        log(`memory update ${size.label}`);
        let step = 0;
        const update = await pairedRuns(
          config.rounds,
          () =>
            measure(async () => {
              version = (await store.update(id, { state: { step: ++step } }, { expectedVersion: version })).version;
            }, config.memoryLoad),
          () =>
            measure(async () => {
              const entry = map.get(id);
              if (!entry) throw new Error('missing');
              const next = { ...structuredClone(entry.state), step: ++step };
              map.set(id, { version: entry.version + 1, state: next });
              return structuredClone(next);
            }, config.memoryLoad),
        );
        rows.push(
          throughputComparison(
            {
              group: 'memory',
              figure: 'memory backend update (expectedVersion)',
              size: size.label,
              subjectLabel: 'store.update (memory)',
              baselineLabel: 'Map.get + structuredClone, patch, Map.set, structuredClone out',
              ...update,
            },
            undefined,
          ),
        );
      }
    }
  } finally {
    await store.close();
  }
  return rows;
}
