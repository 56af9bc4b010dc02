import { pino, type Level, type Logger } from 'pino';
import { traceFields } from './trace-fields.js';

const LEVELS: ReadonlySet<string> = new Set<Level | 'silent'>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The process's one logger: Fastify logs its requests through it (`loggerInstance`), Nest's lines go through
 * `PinoNestLogger`, and the fatal boot line too. Every line is pino JSON: `level` (pino's numbers: 60 fatal, 50 error,
 * 40 warn, 30 info, 20 debug, 10 trace), `time` (epoch ms), `pid`, `hostname`, `msg`, plus `context` on Nest's lines,
 * `reqId` on a request's, and `trace_id`/`span_id` on the lines written inside a traced span.
 *
 * Writes are synchronous (like `console` on a pipe or file): a line logged just before `process.exit` is written.
 */
export function createLogger(level: string | undefined = process.env.LOG_LEVEL): Logger {
  return pino(
    {
      // An unknown LOG_LEVEL is refused by the environment's validation (with the variable's name); until then, info.
      level: level !== undefined && LEVELS.has(level) ? level : 'info',
      // Fastify's request serializer logs no headers today; these stay redacted should a serializer add them.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      mixin: traceFields,
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
