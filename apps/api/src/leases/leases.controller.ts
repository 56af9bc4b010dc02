import { Body, Controller, Delete, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Lease } from '#workflow-store';
import { TenantStores } from '../auth/tenant-stores.js';
import { ApiRequiredLeaseToken } from '../openapi/lease-token.js';
import { openApiSchemas } from '../openapi/openapi-schemas.js';
import { ApiProblems, WRITE_PROBLEMS } from '../openapi/problem-responses.js';
import { expectedVersionOf, parseEntityTags } from '../workflows/conditional-request.js';
import { requireMediaType } from '../workflows/media-type.js';
import { acquireBodyFrom, renewTtlFrom } from './lease-body.js';
import { requiredLeaseTokenFrom } from './lease-token-header.js';

const JSON_TYPE = 'application/json';
const NOT_FOUND: [number, string] = [404, 'not-found: no such workflow'];

/**
 * A workflow's lease: who works on it, until when, and the fencing token its writes must carry (Lease-Token). Maps
 * HTTP onto acquireLease / renewLease / releaseLease; the store decides everything. POST/PUT/DELETE, so the
 * authentication hook asks for the write role; the caller's tenant scopes the store as on every route.
 */
@ApiTags('leases')
@Controller('workflows')
export class LeasesController {
  constructor(private readonly stores: TenantStores) {}

  @Post(':id/lease')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Acquire the lease of a workflow: while it lives, every write must carry its token as Lease-Token. Its token is greater than every ' +
      'token issued for the workflow before. Ends the workflow\'s stall',
  })
  @ApiBody({ schema: openApiSchemas.acquireLease })
  @ApiResponse({ status: 201, description: 'Acquired', schema: openApiSchemas.lease })
  @ApiProblems(
    [400, 'invalid-input: a malformed id or body (unknown fields, an owner outside 1-128 of A-Z a-z 0-9 _ . : @ / -, ttlMs outside 100 to LEASE_MAX_TTL_MS); nothing changed'],
    NOT_FOUND,
    [409, 'lease-held: another lease is live, the same owner\'s too (renew it instead); the body has owner and expiresAt'],
    ...WRITE_PROBLEMS,
  )
  async acquire(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<Lease> {
    requireMediaType(request, JSON_TYPE);
    return this.stores.of(request).acquireLease(id, acquireBodyFrom(body));
  }

  @Put(':id/lease')
  @ApiOperation({ summary: 'Renew the lease of Lease-Token: it lasts ttlMs from now (same token)' })
  @ApiRequiredLeaseToken()
  @ApiBody({ schema: openApiSchemas.renewLease })
  @ApiResponse({ status: 200, description: 'Renewed', schema: openApiSchemas.lease })
  @ApiProblems(
    [400, 'invalid-input: a missing or malformed Lease-Token, a malformed id or body, ttlMs outside 100 to LEASE_MAX_TTL_MS; nothing changed'],
    NOT_FOUND,
    [409, 'lease-lost: the token is not the live lease\'s (it expired, was released or taken over): stop working on the workflow'],
    ...WRITE_PROBLEMS,
  )
  async renew(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<Lease> {
    requireMediaType(request, JSON_TYPE);
    const token = requiredLeaseTokenFrom(request.headers['lease-token']);
    return this.stores.of(request).renewLease(id, token, renewTtlFrom(body));
  }

  @Delete(':id/lease')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Release the lease of Lease-Token (also one that expired, while nobody acquired the workflow since): writes need no token again. ' +
      'If-Match: only while the workflow is at that version (the token is checked first); optional, also with REQUIRE_IF_MATCH',
  })
  @ApiRequiredLeaseToken()
  @ApiResponse({ status: 204, description: 'Released' })
  @ApiProblems(
    [400, 'invalid-input: a missing or malformed Lease-Token or If-Match, or a malformed id'],
    NOT_FOUND,
    [409, 'lease-lost: the token is not the workflow\'s last lease, or that lease already ended (released, or a write after it expired)'],
    [412, 'precondition-failed: If-Match does not match the workflow\'s version, or the workflow does not exist; the body has currentVersion. Nothing was released'],
    ...WRITE_PROBLEMS,
  )
  async release(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    const token = requiredLeaseTokenFrom(request.headers['lease-token']);
    const store = this.stores.of(request);
    // Not required by REQUIRE_IF_MATCH: releases (withLease, runStep) predate If-Match on this route.
    const expectedVersion = await expectedVersionOf(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'), true);
    await store.releaseLease(id, token, { expectedVersion });
  }
}
