import { describe, expect, it } from '@jest/globals';
import { LeaseHeldProblem, LeaseLostProblem, PreconditionFailedProblem } from '../../../libs/client/src/index.js';
import { randomId } from '../../support/random-ids.js';
import type { ClientContext } from './context.js';

/** Leases through the client, and withLease's renew / release / loss; registered inside a backend's describe. */
export function leaseSuite(context: ClientContext): void {
  describe('leases', () => {
    it('acquires, fences writes, renews and releases; lease-held and lease-lost are typed', async () => {
      const { client, recorder } = context;
      const id = randomId('lease');
      await client.create({ id, type: 'job', state: {} });
      const lease = await client.acquireLease(id, { owner: 'worker-7', ttlMs: 30_000 });
      expect(lease).toEqual({ id, token: expect.any(Number), owner: 'worker-7', expiresAt: expect.any(String) });

      const held = await client.patch(id, { status: 'x' }).catch((e: unknown) => e);
      expect(held).toBeInstanceOf(LeaseHeldProblem);
      expect(held).toMatchObject({ status: 409, code: 'lease-held', owner: 'worker-7', expiresAt: lease.expiresAt });
      await expect(client.acquireLease(id, { owner: 'worker-8', ttlMs: 1000 })).rejects.toBeInstanceOf(LeaseHeldProblem);

      expect(await client.patch(id, { status: 'working' }, { leaseToken: lease.token })).toMatchObject({ version: 2, status: 'working' });
      const renewed = await client.renewLease(id, lease.token, 60_000);
      expect(renewed.token).toBe(lease.token);
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(lease.expiresAt));
      await client.releaseLease(id, lease.token);

      const lost = await client.patch(id, { status: 'late' }, { leaseToken: lease.token }).catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(LeaseLostProblem);
      expect(lost).toMatchObject({ status: 409, code: 'lease-lost' });
      await expect(client.releaseLease(id, lease.token)).rejects.toBeInstanceOf(LeaseLostProblem);
      expect((await client.patch(id, { status: 'free' })).version).toBe(3);

      const leaseCalls = recorder.requests.filter((r) => new URL(r.url).pathname === `/workflows/${id}/lease`);
      // The lease routes take no Idempotency-Key; renew and release carry the token.
      expect(leaseCalls.map((r) => r.headers['idempotency-key'])).toEqual(leaseCalls.map(() => undefined));
      expect(leaseCalls.filter((r) => r.method !== 'POST').every((r) => r.headers['lease-token'] === String(lease.token))).toBe(true);
    });

    it('touch and releaseLease send ifMatch: a stale version is PreconditionFailedProblem and changes nothing', async () => {
      const { client, recorder } = context;
      const id = randomId('if-match');
      await client.create({ id, type: 'job', state: {}, ttlSeconds: 600 });
      const lease = await client.acquireLease(id, { owner: 'worker-9', ttlMs: 30_000 });
      await client.patch(id, { status: 'working' }, { leaseToken: lease.token });
      const staleTouch = await client.touch(id, { ifMatch: 1, leaseToken: lease.token, ttlSeconds: 900 }).catch((e: unknown) => e);
      expect(staleTouch).toBeInstanceOf(PreconditionFailedProblem);
      expect(staleTouch).toMatchObject({ status: 412, currentVersion: 2 });
      expect((await client.get(id)).ttlSeconds).toBe(600);
      expect(await client.touch(id, { ifMatch: 2, leaseToken: lease.token, ttlSeconds: 900 })).toMatchObject({ version: 2, ttlSeconds: 900 });
      await expect(client.releaseLease(id, lease.token, { ifMatch: 1 })).rejects.toMatchObject({ status: 412, currentVersion: 2 });
      await expect(client.patch(id, { status: 'still-mine' })).rejects.toBeInstanceOf(LeaseHeldProblem);
      await client.releaseLease(id, lease.token, { ifMatch: '*' });
      const pathOf = (url: string): string => new URL(url).pathname;
      const sent = recorder.requests.filter(
        (r) => (r.method === 'POST' && pathOf(r.url) === `/workflows/${id}/touch`) || (r.method === 'DELETE' && pathOf(r.url) === `/workflows/${id}/lease`),
      );
      expect(sent.map((r) => `${r.method} ${r.headers['if-match']}`)).toEqual(['POST "1"', 'POST "2"', 'DELETE "1"', 'DELETE *']);
    });

    it('withLease renews in the background past the TTL, passes the token and releases at the end', async () => {
      const { client, recorder } = context;
      const id = randomId('with-lease');
      await client.create({ id, type: 'job', state: {} });
      const renewals = (): number => recorder.to('PUT', `/workflows/${id}/lease`).filter((r) => r.status === 200).length;
      const result = await client.withLease(id, { owner: 'worker-1', ttlMs: 2400 }, async (token, signal) => {
        // Three renewals at ttl/3 outlast the first TTL: the token is still good afterwards.
        await recorder.until(() => renewals() >= 3);
        expect(signal.aborted).toBe(false);
        return client.patch(id, { status: 'done' }, { leaseToken: token });
      });
      expect(result).toMatchObject({ version: 2, status: 'done' });
      expect(recorder.to('DELETE', `/workflows/${id}/lease`).map((r) => r.status)).toEqual([204]);
      // Released: someone else can take it at once.
      const next = await client.acquireLease(id, { owner: 'worker-2', ttlMs: 1000 });
      await client.releaseLease(id, next.token);
    });

    it('withLease ends quietly when its step deletes the workflow (the lease goes with it)', async () => {
      const { client, recorder } = context;
      const id = randomId('lease-delete');
      await client.create({ id, type: 'job', state: {} });
      const result = await client.withLease(id, { owner: 'janitor', ttlMs: 600 }, async (token, signal) => {
        await client.delete(id, { leaseToken: token });
        // A renewal after the delete finds no workflow: not a lost lease.
        await recorder.until((answered) => answered.some((r) => r.method === 'PUT' && r.url.endsWith(`/workflows/${id}/lease`) && r.status === 404));
        expect(signal.aborted).toBe(false);
        return 'deleted';
      });
      expect(result).toBe('deleted');
    });

    it('withLease aborts its signal and rejects with LeaseLostProblem when the lease is taken over', async () => {
      const { client } = context;
      const id = randomId('lost-lease');
      await client.create({ id, type: 'job', state: {} });
      let seen: AbortSignal | undefined;
      const run = client.withLease(id, { owner: 'slow', ttlMs: 600 }, async (token, signal) => {
        seen = signal;
        // Another worker takes over (as if this one had been paused past its TTL).
        await client.releaseLease(id, token);
        await client.acquireLease(id, { owner: 'fast', ttlMs: 60_000 });
        // A renewal may already have found it lost (between the release and the acquisition): then it is aborted.
        if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return 'finished';
      });
      await expect(run).rejects.toBeInstanceOf(LeaseLostProblem);
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toBeInstanceOf(LeaseLostProblem);
    });
  });
}
