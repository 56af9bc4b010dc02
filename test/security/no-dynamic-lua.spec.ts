/**
 * SEC6: Lua reaches Redis only as the files in libs/workflow-store/src/redis/lua, loaded by name with
 * defineCommand. No source file sends EVAL/EVALSHA/SCRIPT or builds a script from strings, so no user input can
 * ever become Lua source; and no code path turns TLS verification off.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.generated.ts') ? [path] : [];
  });
}

const files = [...sourceFiles('libs'), ...sourceFiles('apps')];

describe('no dynamic Lua, no unverified TLS', () => {
  it('finds the product sources', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('sends scripts only through defineCommand, in one module', () => {
    const offenders = files.filter((file) => /\.(eval|evalsha|evalRo|script)\s*\(|['"](EVAL|EVALSHA|SCRIPT)['"]/i.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
    const defining = files.filter((file) => readFileSync(file, 'utf8').includes('defineCommand('));
    expect(defining).toEqual([join('libs', 'workflow-store', 'src', 'redis', 'redis-scripts.ts')]);
  });

  it('never sets rejectUnauthorized: false', () => {
    expect(files.filter((file) => /rejectUnauthorized\s*:\s*false/.test(readFileSync(file, 'utf8')))).toEqual([]);
  });
});
