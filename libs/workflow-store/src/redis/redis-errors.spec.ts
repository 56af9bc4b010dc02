import { describe, expect, it } from '@jest/globals';
import { OutcomeUnknownError } from '../errors/outcome-unknown.error.js';
import { StorageFullError } from '../errors/storage-full.error.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { mapRedisError, unconfirmedWrite } from './redis-errors.js';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('mapRedisError', () => {
  it('never calls a timed-out write "not stored"', () => {
    expect(mapRedisError(new Error('Command timed out'), 'save', true)).toBeInstanceOf(OutcomeUnknownError);
    expect(mapRedisError(new Error('Connection is closed.'), 'save', true)).toBeInstanceOf(OutcomeUnknownError);
  });
  it('treats reads and unsent commands as unavailable', () => {
    expect(mapRedisError(new Error('Command timed out'), 'get', false)).toBeInstanceOf(StoreUnavailableError);
    expect(mapRedisError(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'save', true)).toBeInstanceOf(
      StoreUnavailableError,
    );
  });
  it('maps server refusals', () => {
    expect(mapRedisError(replyError("OOM command not allowed when used memory > 'maxmemory'."), 'save', true)).toBeInstanceOf(StorageFullError);
    expect(mapRedisError(replyError('LOADING Redis is loading the dataset in memory'), 'save', true)).toBeInstanceOf(StoreUnavailableError);
    expect(mapRedisError(replyError('MISCONF Errors writing to the AOF file: No space left on device'), 'save', true)).toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(mapRedisError(replyError("READONLY You can't write against a read only replica."), 'save', true)).toBeInstanceOf(StoreUnavailableError);
  });
  it('maps Sentinel and Cluster refusals, which wrote nothing, to StoreUnavailableError', () => {
    for (const message of [
      'NOREPLICAS Not enough good replicas to write.',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
    ]) {
      expect(mapRedisError(replyError(message), 'save', true)).toBeInstanceOf(StoreUnavailableError);
    }
    expect(mapRedisError(new Error('Too many Cluster redirections. Last error: TRYAGAIN x'), 'save', true)).toBeInstanceOf(StoreUnavailableError);
  });
  it('reports a write no replica confirmed (REDIS_DURABILITY=replica) as outcome-unknown', () => {
    expect(unconfirmedWrite('save', 'a', 250, 0)).toBeInstanceOf(OutcomeUnknownError);
    expect(unconfirmedWrite('save', 'a', 250, 0).message).toContain('confirmed by 0 replicas within 250 ms');
    expect(unconfirmedWrite('save', 'a', 250, new Error('Command timed out')).message).toContain('WAIT failed: Command timed out');
  });
});
