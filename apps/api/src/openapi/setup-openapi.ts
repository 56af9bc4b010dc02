import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Environment } from '../config/environment.js';
import { completeDocument } from './complete-document.js';
import { WORKFLOW_EVENT_SCHEMA } from './event-stream.js';
import { openApiSchemas } from './openapi-schemas.js';

/** Serves the OpenAPI 3.1 document at /docs-json and its UI at /docs. */
export function setupOpenApi(app: INestApplication): void {
  const { limits } = app.get(ConfigService<Environment, true>).get('workflowStore', { infer: true });
  const config = new DocumentBuilder()
    .setTitle('workflow-store')
    .setDescription(
      'Durable workflow state. ETag = version; If-Match for compare-and-set; Idempotency-Key makes writes safe to retry. ' +
        'Errors are application/problem+json (RFC 9457): the Problem schema lists every type. GET /events and GET ' +
        '/workflows/{id}/events stream the change feed as Server-Sent Events, resumable with Last-Event-ID. POST ' +
        '/workflows/{id}/lease takes a lease whose token, sent as Lease-Token, every write of the workflow needs while it ' +
        'lives (fencing). Every route but /health/*, /metrics and /docs takes an API key: Authorization: Bearer followed by the key.',
    )
    .setVersion('1')
    .setOpenAPIVersion('3.1.0')
    .build();
  const document = (): OpenAPIObject => {
    const created = SwaggerModule.createDocument(app, config);
    // The event streams' data is JSON inside text/event-stream: published as a named component that the stream's
    // description points to.
    created.components = { ...created.components, schemas: { ...created.components?.schemas, [WORKFLOW_EVENT_SCHEMA]: openApiSchemas.workflowEvent } };
    return completeDocument(created, { maxTtlSeconds: limits.maxTtlSeconds, leaseMaxTtlMs: limits.leaseMaxTtlMs });
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}
