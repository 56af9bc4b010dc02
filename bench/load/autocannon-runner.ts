// The load generator of the HTTP figures, run as its own process so it never shares a CPU queue with the server
// under test. Input: one JSON argument (RunnerInput). Output: one JSON line (RunnerOutput) on stdout.
import autocannon, { type AutocannonOptions, type AutocannonRequest } from 'autocannon';

export interface RunnerInput {
  url: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** get: GET `paths` round robin. put: conditional PUT of `body` to `paths`, each with its own If-Match version. */
  mode: 'get' | 'put';
  paths: string[];
  body?: string;
}

export interface RunnerOutput {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ops: number;
  errors: number;
  /** Responses of the warm-up and the measured run together (any status). */
  requests: number;
  /** This process's CPU µs over the warm-up and the measured run (see HttpCosts). */
  cpuUs: number;
}

/** PUT: one slot per path, never two requests on one path at once; the version comes back in the ETag. */
function putRequests(paths: string[], body: string): AutocannonRequest[] {
  const slots = paths.map((path) => ({ path, version: 1, busy: false }));
  const byId = new Map(slots.map((slot) => [slot.path, slot]));
  return [
    {
      setupRequest: (request) => {
        const slot = slots.find((s) => !s.busy);
        if (!slot) throw new Error('more connections than paths');
        slot.busy = true;
        return {
          ...request,
          method: 'PUT',
          path: slot.path,
          body,
          headers: { 'content-type': 'application/json', 'if-match': `"${slot.version}"`, 'x-request-id': slot.path.slice(slot.path.lastIndexOf('/') + 1) },
        };
      },
      onResponse: (status, responseBody, _context, headers) => {
        const id = headers['x-request-id'];
        const slot = id === undefined ? undefined : byId.get(`${pathBase(paths)}${id}`);
        if (!slot) return;
        slot.busy = false;
        const etag = /^"(\d+)"$/.exec(headers.etag ?? '');
        if (etag) slot.version = Number(etag[1]);
        else if (status === 412) slot.version = Number((JSON.parse(responseBody) as { currentVersion?: number }).currentVersion ?? slot.version);
      },
    },
  ];
}

function pathBase(paths: string[]): string {
  const first = paths[0] ?? '/';
  return first.slice(0, first.lastIndexOf('/') + 1);
}

type Run = Omit<RunnerOutput, 'cpuUs'>;

async function run(input: RunnerInput, durationS: number, requests: AutocannonRequest[] | undefined): Promise<Run> {
  const options: AutocannonOptions = { url: input.url, connections: input.connections, duration: durationS, pipelining: 1 };
  if (requests) options.requests = requests;
  else options.requests = input.paths.map((path) => ({ method: 'GET', path }));
  const result = await autocannon(options);
  return {
    opsPerSec: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ops: result['2xx'],
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result['2xx'] + result.non2xx,
  };
}

const input = JSON.parse(process.argv[2] ?? '{}') as RunnerInput;
const requests = input.mode === 'put' ? putRequests(input.paths, input.body ?? '{}') : undefined;
const cpuAtStart = process.cpuUsage();
const warmupRequests = input.warmupS > 0 ? (await run(input, input.warmupS, requests)).requests : 0;
const measured = await run(input, input.durationS, requests);
const cpu = process.cpuUsage(cpuAtStart);
const output: RunnerOutput = { ...measured, requests: warmupRequests + measured.requests, cpuUs: cpu.user + cpu.system };
process.stdout.write(`${JSON.stringify(output)}\n`);
