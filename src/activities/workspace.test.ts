import { describe, expect, it } from 'vitest';
import { runFolderName } from './workspace';

describe('runFolderName', () => {
  it('keeps a safe run id as it is', () => {
    expect(runFolderName('hello-1a2b3c4d')).toBe('hello-1a2b3c4d');
  });

  it('gives a scheduled run id with colons a safe folder of its own', () => {
    const name = runFolderName('tick-every-two-2026-11-22T10:52:00Z');
    expect(name).toMatch(/^tick-every-two-2026-11-22T10-52-00Z-[0-9a-f]{8}$/);
    expect(runFolderName('tick-every-two-2026-11-22T10-52-00Z')).not.toBe(name);
  });

  it('never lets an id climb out of the workspaces folder', () => {
    expect(runFolderName('../../etc')).toMatch(/^etc-[0-9a-f]{8}$/);
    expect(runFolderName('a/../../b')).not.toContain('/');
  });
});
