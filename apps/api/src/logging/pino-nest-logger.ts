import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/** A stack trace as Nest passes it to `error(message, stack, context)`. */
const STACK = /\n\s+at /;

/**
 * Nest's `LoggerService` over the process's pino logger, so Nest's lines have the same shape as Fastify's:
 * `{"level":30,"time":…,"pid":…,"hostname":…,"context":"NestFactory","msg":"Starting Nest application..."}`.
 *
 * Nest's calling conventions: the context comes last (a `new Logger('Ctx')` always appends it); `error` may get a
 * stack before it; the message may be an object (its fields go on the line, a following string is the `msg`) or an
 * Error (logged as pino's `err`). Levels: log → info, verbose → trace; the rest keep their names. pino does the level
 * filtering (LOG_LEVEL).
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    const last = rest.at(-1);
    if (typeof last === 'string' && !STACK.test(last)) fields.context = rest.pop();
    let msg: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      msg = message.message;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
    } else {
      msg = String(message);
    }
    const extra: unknown[] = [];
    for (const param of rest) {
      if (param === undefined) continue;
      if (typeof param === 'string' && msg === undefined) msg = param;
      else if (typeof param === 'string' && (level === 'error' || level === 'fatal') && fields.stack === undefined) fields.stack = param;
      else if (param instanceof Error && fields.err === undefined) fields.err = param;
      else extra.push(param);
    }
    if (extra.length > 0) fields.args = extra;
    this.logger[level](fields, msg);
  }
}
