import type { WorkflowClient } from '../../../libs/client/src/index.js';
import type { RecordingFetch } from './recording-fetch.js';

/** What a shared suite needs: a client on a running API (set in the caller's beforeAll), and the requests it made. */
export interface ClientContext {
  client: WorkflowClient;
  recorder: RecordingFetch;
}
