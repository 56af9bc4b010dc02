/**
 * One log format: every line the built API writes (Nest's, Fastify's request lines, the fatal boot line) is pino JSON
 * with level, time and pid; nothing else is printed (no Node or Fastify warning such as FSTWRN004); LOG_LEVEL filters.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';

interface Line {
  level: number;
  time: number;
  pid: number;
  msg?: string;
  context?: string;
  reqId?: string;
}

/** Every line of `output`, each of which must be a pino JSON line. */
function pinoLines(output: string): Line[] {
  const texts = output.split('\n').filter((line) => line.trim() !== '');
  const lines = texts.map((text) => {
    try {
      return JSON.parse(text) as Line;
    } catch {
      throw new Error(`not a JSON line: ${text}`);
    }
  });
  for (const line of lines) {
    expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: expect.any(Number) });
    expect(line).not.toHaveProperty('timestamp'); // Nest's ConsoleLogger shape is gone
    expect(line).not.toHaveProperty('message');
  }
  return lines;
}

describe('log format', () => {
  it('development boot, a request and a graceful stop: pino lines only, Nest lines with their context', async () => {
    const api = await ApiProcess.start({ NODE_ENV: 'development', LOG_LEVEL: 'info' });
    try {
      const response = await fetch(`${api.url}/workflows/does-not-exist`, { headers: { 'x-request-id': 'log-format-1' } });
      expect(response.status).toBe(404);
    } finally {
      expect(await api.stop()).toBe(0);
    }
    const lines = pinoLines(api.output);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 30, context: 'NestFactory', msg: 'Starting Nest application...' }),
        expect.objectContaining({ level: 40, context: 'Auth', msg: expect.stringMatching(/^running WITHOUT authentication/) }),
        expect.objectContaining({ level: 30, reqId: 'log-format-1', msg: 'incoming request' }),
        expect.objectContaining({ level: 30, reqId: 'log-format-1', msg: 'request completed' }),
        expect.objectContaining({ level: 30, context: 'Lifecycle', msg: expect.stringMatching(/^SIGTERM received/) }),
      ]),
    );
    expect(new Set(lines.map((line) => line.pid)).size).toBe(1);
  });

  it('LOG_LEVEL=warn: warnings and worse only', async () => {
    const api = await ApiProcess.start({ NODE_ENV: 'development', LOG_LEVEL: 'warn' });
    expect(await api.stop()).toBe(0);
    const lines = pinoLines(api.output);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.level).toBeGreaterThanOrEqual(40);
  });

  it('a failed boot ends with the fatal line (level 60), written before the exit', async () => {
    const run = await ApiProcess.runToExit({ NODE_ENV: 'development', LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: 'lots' });
    expect(run.code).toBe(1);
    const lines = pinoLines(run.output);
    expect(lines.at(-1)).toMatchObject({ level: 60, msg: expect.stringMatching(/^workflow-store API failed to start: .*RATE_LIMIT_PER_MINUTE/s) });
  });

  it('LOG_LEVEL=silent: nothing but the fatal line of a failed boot', async () => {
    const run = await ApiProcess.runToExit({ NODE_ENV: 'development', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: 'lots' });
    expect(run.code).toBe(1);
    expect(pinoLines(run.output)).toEqual([expect.objectContaining({ level: 60, msg: expect.stringMatching(/^workflow-store API failed to start: /) })]);
  });
});
