import { Injectable } from '@nestjs/common';
import { WorkflowStore } from '#workflow-store';
import type { FastifyRequest } from 'fastify';
import { StoreMetrics } from '../metrics/store-metrics.js';

/** The store of the caller's tenant, instrumented, one per tenant (made on first use). */
@Injectable()
export class TenantStores {
  private readonly byTenant = new Map<string, WorkflowStore>();

  constructor(
    private readonly store: WorkflowStore,
    private readonly metrics: StoreMetrics,
  ) {}

  of(request: FastifyRequest): WorkflowStore {
    // The authentication hook sets a principal on every non-public route; reaching here without one is a bug.
    const tenant = request.principal?.tenant;
    if (tenant === undefined) throw new Error(`no principal on ${request.method} ${request.url}`);
    let scoped = this.byTenant.get(tenant);
    if (!scoped) {
      scoped = this.metrics.instrument(this.store.forTenant(tenant));
      this.byTenant.set(tenant, scoped);
    }
    return scoped;
  }
}
