// A worker of test/fault/leases-workers.fault.spec.ts, run as a child process: node lease-worker.mjs '<config JSON>'.
//
// Loops over the workflows until every step of every one is applied: GET (skip finished ones), acquire the lease
// (POST /workflows/:id/lease; 409 lease-held: try another), read the workflow, apply its next step with Lease-Token and
// If-Match (PATCH, recording the worker and the token in the step), release (DELETE /workflows/:id/lease). Requests go
// to the API replicas alternately. Every exchange is reported as one JSON line on stdout, for the test to check.
//
// config: { worker, bases: [url...], ids: [id...], ttlMs, pauseFile?: path, staleProbeEvery?: n }
// - pauseFile: after its first acquisition and read, the worker reports "pausing" and waits until that file exists
//   (the test SIGSTOPs it meanwhile and creates the file once another worker has taken the step over), then sends the
//   write it had prepared, with its old token and If-Match.
// - staleProbeEvery: every n-th released lease, the worker also sends a write with the token it just released (it
//   must be refused: 409 lease-lost).
import { existsSync } from 'node:fs';

const config = JSON.parse(process.argv[2]);
const owner = `w${config.worker}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let requests = 0;

function emit(line) {
  process.stdout.write(`${JSON.stringify({ worker: config.worker, at: Date.now(), ...line })}\n`);
}

async function http(method, path, { headers = {}, body } = {}) {
  const base = config.bases[requests++ % config.bases.length];
  const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const init = { method, headers: { ...(body === undefined ? {} : { 'content-type': type }), ...headers }, signal: AbortSignal.timeout(10_000) };
  if (body !== undefined) init.body = JSON.stringify(body);
  try {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    const problem = typeof json?.type === 'string' ? json.type.replace('urn:workflow-store:problem:', '') : undefined;
    return { status: response.status, body: json, problem, etag: response.headers.get('etag'), base };
  } catch (error) {
    return { status: 0, error: `${error.name}: ${error.message}`, base };
  }
}

const stepOrder = (a, b) => Number(a.slice(1)) - Number(b.slice(1));
const nextStep = (workflow) => Object.keys(workflow.state.steps).sort(stepOrder).find((step) => workflow.state.steps[step] === null);

async function main() {
  // Each worker starts at another workflow, so they do not all queue on the first one.
  const offset = (config.worker * 7) % config.ids.length;
  const remaining = [...config.ids.slice(offset), ...config.ids.slice(0, offset)];
  let paused = false;
  let released = 0;
  while (remaining.length > 0) {
    let worked = false;
    for (const id of [...remaining]) {
      const peek = await http('GET', `/workflows/${id}`);
      if (peek.status !== 200) {
        emit({ type: 'unexpected', what: 'peek', id, status: peek.status, body: peek.body, error: peek.error });
        continue;
      }
      if (nextStep(peek.body) === undefined) {
        remaining.splice(remaining.indexOf(id), 1);
        continue;
      }
      const acquired = await http('POST', `/workflows/${id}/lease`, { body: { owner, ttlMs: config.ttlMs } });
      if (acquired.status === 409 && acquired.problem === 'lease-held') continue;
      if (acquired.status !== 201) {
        emit({ type: 'unexpected', what: 'acquire', id, status: acquired.status, body: acquired.body, error: acquired.error });
        continue;
      }
      const { token, expiresAt } = acquired.body;
      emit({ type: 'acquired', id, token, expiresAt, via: acquired.base });
      const current = await http('GET', `/workflows/${id}`);
      if (current.status !== 200) {
        emit({ type: 'unexpected', what: 'read', id, status: current.status, body: current.body, error: current.error });
        continue;
      }
      const step = nextStep(current.body);
      if (step !== undefined) {
        if (config.pauseFile && !paused) {
          paused = true;
          emit({ type: 'pausing', id, token, step, version: current.body.version });
          while (!existsSync(config.pauseFile)) await sleep(20);
          emit({ type: 'resumed', id, token, step });
        }
        const write = await http('PATCH', `/workflows/${id}`, {
          headers: { 'lease-token': String(token), 'if-match': current.etag },
          body: { state: { steps: { [step]: { worker: config.worker, token } } } },
        });
        emit({
          type: 'write',
          id,
          step,
          token,
          ifMatch: current.body.version,
          status: write.status,
          problem: write.problem,
          version: write.body?.version,
          latestToken: write.body?.latestToken,
          error: write.error,
          via: write.base,
        });
        worked = true;
      }
      const release = await http('DELETE', `/workflows/${id}/lease`, { headers: { 'lease-token': String(token) } });
      emit({ type: 'release', id, token, status: release.status, problem: release.problem, latestToken: release.body?.latestToken, error: release.error });
      released += 1;
      if (config.staleProbeEvery && released % config.staleProbeEvery === 0) {
        const probe = await http('PATCH', `/workflows/${id}`, { headers: { 'lease-token': String(token) }, body: { state: { probe: { worker: config.worker, token } } } });
        emit({ type: 'stale-probe', id, token, status: probe.status, problem: probe.problem, version: probe.body?.version, error: probe.error });
      }
    }
    if (!worked) await sleep(20);
  }
  emit({ type: 'done' });
}

main().then(
  () => process.exit(0),
  (error) => {
    emit({ type: 'crashed', error: String(error?.stack ?? error) });
    process.exit(1);
  },
);
