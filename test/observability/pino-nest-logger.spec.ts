/** Nest's logging conventions mapped onto pino lines (apps/api/src/logging/pino-nest-logger.ts). */
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { pino } from 'pino';
import { PinoNestLogger } from '../../apps/api/src/logging/pino-nest-logger.js';

function capture(level = 'trace'): { logger: PinoNestLogger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = new PinoNestLogger(pino({ level }, stream));
  return { logger, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('PinoNestLogger', () => {
  it('a message with a context: msg and context, Nest levels as pino levels', () => {
    const { logger, lines } = capture();
    logger.log('started', 'NestFactory');
    logger.warn('careful', 'Auth');
    logger.debug('details', 'X');
    logger.verbose('more details', 'X');
    logger.fatal('gone', 'X');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, msg: 'started', context: 'NestFactory', pid: process.pid, time: expect.any(Number) }),
      expect.objectContaining({ level: 40, msg: 'careful', context: 'Auth' }),
      expect.objectContaining({ level: 20, msg: 'details', context: 'X' }),
      expect.objectContaining({ level: 10, msg: 'more details', context: 'X' }),
      expect.objectContaining({ level: 60, msg: 'gone', context: 'X' }),
    ]);
  });

  it("error(message, stack, context) and a Logger's error without a stack", () => {
    const { logger, lines } = capture();
    const stack = 'Error: boom\n    at somewhere (file.js:1:1)';
    logger.error('boom', stack, 'ExceptionsHandler');
    logger.error('shutdown failed', undefined, 'Lifecycle');
    logger.error('no context, a stack', stack);
    expect(lines()).toEqual([
      expect.objectContaining({ level: 50, msg: 'boom', stack, context: 'ExceptionsHandler' }),
      expect.objectContaining({ level: 50, msg: 'shutdown failed', context: 'Lifecycle' }),
      expect.objectContaining({ level: 50, msg: 'no context, a stack', stack }),
    ]);
    expect(lines()[2]).not.toHaveProperty('context');
  });

  it('an object message: its fields on the line, the following string as msg; an Error as err', () => {
    const { logger, lines } = capture();
    logger.error({ reqId: 'r1', err: new Error('inner') }, 'unhandled error', 'Problem');
    logger.warn({ reqId: 'r2', problem: 'about:blank' }, 'Problem');
    logger.error(new Error('thrown'), 'Ctx');
    const [first, second, third] = lines();
    expect(first).toMatchObject({ level: 50, msg: 'unhandled error', context: 'Problem', reqId: 'r1', err: { message: 'inner', type: 'Error' } });
    expect(second).toMatchObject({ level: 40, context: 'Problem', reqId: 'r2', problem: 'about:blank' });
    expect(second).not.toHaveProperty('msg');
    expect(third).toMatchObject({ level: 50, msg: 'thrown', context: 'Ctx', err: { message: 'thrown', stack: expect.stringContaining('Error: thrown') } });
  });

  it("pino's level filters Nest's lines (LOG_LEVEL)", () => {
    const { logger, lines } = capture('warn');
    logger.log('hidden', 'X');
    logger.debug('hidden', 'X');
    logger.warn('shown', 'X');
    expect(lines().map((line) => line.msg)).toEqual(['shown']);
  });

  it("is what Nest's Logger instances write through once it is the app's logger", () => {
    const { logger, lines } = capture();
    Logger.overrideLogger(logger);
    try {
      new Logger('EventStreams').warn('event stream ended');
      new Logger('Problem').error({ reqId: 'r3' }, 'unhandled error');
    } finally {
      Logger.overrideLogger(new ConsoleLogger()); // back to a logger like Nest's default
    }
    expect(lines()).toEqual([
      expect.objectContaining({ level: 40, msg: 'event stream ended', context: 'EventStreams' }),
      expect.objectContaining({ level: 50, msg: 'unhandled error', context: 'Problem', reqId: 'r3' }),
    ]);
  });
});
