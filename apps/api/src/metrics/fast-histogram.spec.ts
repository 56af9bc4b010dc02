import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const LABELS = ['method', 'route', 'status'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

const labelSet = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'HEAD'),
  route: fc.constantFrom('/workflows/:id', 'unmatched', '/health/live', 'a"quote\\slash\nline'),
  status: fc.constantFrom('200', '304', '404', '412'),
});
// Values on the bounds, between them and past the last, as latencies in seconds are.
const seconds = fc.oneof(fc.constantFrom(0, ...BUCKETS, 3), fc.double({ min: 0, max: 5, noNaN: true }));

/** The same observations through prom-client's Histogram and through FastHistogram: their two expositions. */
async function expositions(observations: [Labels, number][]): Promise<[string, string, unknown, unknown]> {
  const promRegistry = new Registry();
  const prom = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: LABELS, buckets: BUCKETS, registers: [promRegistry] });
  const fastRegistry = new Registry();
  const fast = new FastHistogram('h_seconds', 'help text', LABELS, BUCKETS, fastRegistry);
  for (const [labels, value] of observations) {
    prom.observe(labels, value);
    fast.cell(labels).observe(value);
  }
  return [await promRegistry.metrics(), await fastRegistry.metrics(), (await prom.get()).values, (await fast.get()).values];
}

describe('FastHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations (text and get())", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(labelSet, seconds), { maxLength: 40 }), async (observations) => {
        const [promText, fastText, promValues, fastValues] = await expositions(observations);
        expect(fastText).toBe(promText);
        // get() (what http_requests_total is copied from): same series, labels and values; prom-client adds exemplar: null.
        const strip = (values: unknown): unknown => (values as Record<string, unknown>[]).map(({ labels, value, metricName }) => ({ labels, value, metricName }));
        expect(strip(fastValues)).toEqual(strip(promValues));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps one cell per label set, whatever object the labels come in', () => {
    const fast = new FastHistogram('c_seconds', 'help', LABELS, BUCKETS, new Registry());
    const first = fast.cell({ method: 'GET', route: '/r', status: '200' });
    expect(fast.cell({ status: '200', route: '/r', method: 'GET' })).toBe(first);
    expect(fast.cell({ method: 'GET', route: '/r', status: '404' })).not.toBe(first);
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const cell = new FastHistogram('n_seconds', 'help', LABELS, BUCKETS, new Registry()).cell({ method: 'GET', route: '/r', status: '200' });
    expect(() => cell.observe(Number.NaN)).toThrow(TypeError);
    expect(() => cell.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
