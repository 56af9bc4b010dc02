import { describe, expect, it } from '@jest/globals';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('hides passwords and keeps the rest', () => {
    expect(redactUrl('redis://:s3cret@host:6379/2')).toBe('redis://:***@host:6379/2');
    expect(redactUrl('rediss://app:s3cret@host:6380')).toBe('rediss://app:***@host:6380');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(redactUrl('redis://user@host:6379')).toBe('redis://user@host:6379');
    expect(redactUrl('redis://:p@ss@host:6379/1')).toBe('redis://:***@host:6379/1');
  });
});
