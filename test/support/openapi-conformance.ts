import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** An answer of the API as a test saw it. */
export interface RecordedAnswer {
  method: string;
  /** The path and query, as requested. */
  url: string;
  status: number;
  /** The Content-Type without parameters, lower case ('' when none). */
  mediaType: string;
  /** The body text; undefined when not read (a stream) or empty. */
  body?: string;
}

type Json = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components?: Json;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);
/** Problems about a request no operation matched (unknown route or method): not an operation's answer. */
const NOT_AN_OPERATION = /problem:(route-not-found|method-not-allowed)"/;

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/**
 * Checks answers against an OpenAPI 3.1 document: the operation (method + path template) exists, the status is
 * documented for it, the media type is one documented for that status and the JSON body validates against its
 * schema. Returns one line per violation.
 */
export class OpenApiConformance {
  private readonly ajv: Ajv2020;
  private readonly templates: { template: string; pattern: RegExp; literal: number }[];
  private readonly validators = new Map<string, (data: unknown) => boolean>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int64', true);
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        literal: template.replace(/\{[^}]+\}/g, '').length,
      }))
      // The most literal template first: /workflows/{id}/events is not /workflows/{id}.
      .sort((a, b) => b.literal - a.literal);
  }

  /** The path template an answer's URL falls under, if any. */
  templateOf(url: string): string | undefined {
    const path = new URL(url, 'http://x').pathname;
    return this.templates.find((t) => t.pattern.test(path))?.template;
  }

  check(answer: RecordedAnswer): string[] {
    const method = answer.method.toLowerCase();
    const where = `${answer.method} ${answer.url.slice(0, 120)} → ${answer.status}`;
    if (!METHODS.has(method) || answer.url.startsWith('/docs')) return [];
    if (answer.body !== undefined && NOT_AN_OPERATION.test(answer.body)) return [];
    const template = this.templateOf(answer.url);
    const operation = template ? this.document.paths[template]?.[method] : undefined;
    // A request that is no operation (another method, an unknown path) may be refused before routing (401, 415):
    // that refusal describes no operation. Being served (2xx) is what would be undocumented.
    if (!template || !operation) return answer.status < 300 ? [`${where}: no such operation in the document`] : [];
    const responses = (operation.responses ?? {}) as Record<string, Json>;
    const response = responses[String(answer.status)] ?? responses.default;
    if (!response) return [`${where}: status ${answer.status} not documented for ${method} ${template} (documented: ${Object.keys(responses).join(', ')})`];
    if (answer.body === undefined || answer.body === '') return [];
    const content = response.content as Record<string, Json> | undefined;
    if (!content) return [`${where}: a ${answer.mediaType} body where the document declares none`];
    const declared = content[answer.mediaType];
    if (!declared) return [`${where}: media type ${answer.mediaType} not documented (documented: ${Object.keys(content).join(', ')})`];
    const isJson = answer.mediaType === 'application/json' || answer.mediaType.endsWith('+json');
    if (!declared.schema || !isJson) return [];
    let data: unknown;
    try {
      data = JSON.parse(answer.body);
    } catch {
      return [`${where}: ${answer.mediaType} body is not JSON`];
    }
    const validate = this.validatorFor(`${method} ${template} ${answer.status} ${answer.mediaType}`, declared.schema as Json);
    if (validate(data)) return [];
    const errors = (validate as unknown as { errors?: { instancePath: string; message?: string }[] }).errors ?? [];
    return [`${where}: body does not match the documented schema: ${errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`];
  }

  private validatorFor(key: string, schema: Json): (data: unknown) => boolean {
    let validate = this.validators.get(key);
    if (!validate) {
      // The schema's $refs point into the document's components: compile it with them at its root.
      const { $schema: _ignored, ...rest } = schema;
      validate = this.ajv.compile({ ...rest, components: this.document.components ?? {} });
      this.validators.set(key, validate);
    }
    return validate;
  }
}
