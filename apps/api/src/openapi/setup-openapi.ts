import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { WORKFLOW_EVENT_SCHEMA } from './event-stream.js';
import { openApiSchemas } from './openapi-schemas.js';

/** Serves the OpenAPI document at /docs-json and its UI at /docs. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('workflow-store')
    .setDescription(
      'Durable workflow state. ETag = version; If-Match for compare-and-set; Idempotency-Key makes writes safe to retry. ' +
        'Errors are application/problem+json (RFC 9457). GET /events and GET /workflows/{id}/events stream the change feed ' +
        'as Server-Sent Events, resumable with Last-Event-ID. POST /workflows/{id}/lease takes a lease whose token, sent as ' +
        'Lease-Token, every write of the workflow needs while it lives (fencing).',
    )
    .setVersion('1')
    .build();
  const document = (): OpenAPIObject => {
    const created = SwaggerModule.createDocument(app, config);
    // The event streams' data is JSON inside text/event-stream: OpenAPI 3.0 has no place for it in the response, so
    // its schema is published as a named component that the stream's description points to.
    created.components = { ...created.components, schemas: { ...created.components?.schemas, [WORKFLOW_EVENT_SCHEMA]: openApiSchemas.workflowEvent } };
    return created;
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
