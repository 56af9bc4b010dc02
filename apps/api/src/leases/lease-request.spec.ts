import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';
import { renewTtlFrom } from './lease-body.js';
import { leaseTokenFrom, refuseLeaseTokenOnCreate, requiredLeaseTokenFrom } from './lease-token-header.js';

describe('Lease-Token header', () => {
  it('takes one decimal integer from 1 to 2^53-1, exactly', () => {
    expect(leaseTokenFrom(undefined)).toBeUndefined();
    expect(leaseTokenFrom('1')).toBe(1);
    expect(leaseTokenFrom('1796015283739000')).toBe(1_796_015_283_739_000);
    expect(leaseTokenFrom(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses anything else with a 400 problem', () => {
    for (const header of ['', '0', '01', '-1', '+1', '1.0', '1e3', '0x10', 'abc', '1, 2', '9007199254740992', '12345678901234567', ['1', '2']]) {
      expect(() => leaseTokenFrom(header)).toThrow(ProblemException);
    }
  });

  it('is required on renew and release, refused on a create', () => {
    expect(() => requiredLeaseTokenFrom(undefined)).toThrow(/Lease-Token is required/);
    expect(requiredLeaseTokenFrom('7')).toBe(7);
    expect(() => refuseLeaseTokenOnCreate('7')).toThrow(/cannot be sent with a create/);
    expect(() => refuseLeaseTokenOnCreate(undefined)).not.toThrow();
  });
});

describe('renew body', () => {
  it('takes { ttlMs } only; the store checks the bounds', () => {
    expect(renewTtlFrom({ ttlMs: 1000 })).toBe(1000);
    expect(renewTtlFrom({ ttlMs: 'x' })).toBe('x');
    for (const body of [undefined, null, [], 'x', {}, { ttlMs: 1000, owner: 'w' }]) expect(() => renewTtlFrom(body)).toThrow(InvalidInputError);
  });
});
