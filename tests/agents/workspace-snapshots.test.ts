import { chmod, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  prepareWorkspace,
  restoreWorkspace,
  snapshotWorkspace,
  treeOf,
} from '../../src/activities/workspace-snapshots';
import { gitIn, sampleRepo } from './helpers';

describe('workspace snapshots', () => {
  it('restores content, deletions, new files and ignored files byte for byte', async () => {
    const dir = await sampleRepo();
    await writeFile(join(dir, '.gitignore'), 'build/\n');
    await mkdir(join(dir, 'build'));
    await writeFile(join(dir, 'build', 'out.bin'), Buffer.from([0, 1, 2, 255]));
    await writeFile(join(dir, 'untracked.txt'), 'not committed yet\n');
    await chmod(join(dir, 'src', 'math.js'), 0o755);
    const before = await snapshotWorkspace(dir, 'before');

    await writeFile(join(dir, 'src', 'math.js'), 'changed\n');
    await chmod(join(dir, 'src', 'math.js'), 0o644);
    await rm(join(dir, 'README.md'));
    await rm(join(dir, 'untracked.txt'));
    await writeFile(join(dir, 'build', 'out.bin'), 'overwritten');
    await mkdir(join(dir, 'new', 'deep'), { recursive: true });
    await writeFile(join(dir, 'new', 'deep', 'file.txt'), 'new');
    await writeFile(join(dir, 'build', 'extra.o'), 'ignored and new');
    expect(await treeOf(dir)).not.toBe(before.tree);

    await restoreWorkspace(dir, before);
    expect(await treeOf(dir)).toBe(before.tree);
    expect(await readFile(join(dir, 'build', 'out.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await readFile(join(dir, 'untracked.txt'), 'utf8')).toBe('not committed yet\n');
    expect((await stat(join(dir, 'src', 'math.js'))).mode & 0o111).not.toBe(0);
    await expect(stat(join(dir, 'new'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dir, 'build', 'extra.o'))).rejects.toThrow(/ENOENT/);
  });

  it('waits out an index lock another git holds for a moment, and runs parallel snapshots one at a time', async () => {
    const dir = await sampleRepo();
    const before = await snapshotWorkspace(dir, 'before');
    await writeFile(join(dir, 'src', 'math.js'), 'changed\n');
    // Another step's git (an agent's commit, in another worker) holds the index for 250 ms.
    const lock = join(dir, '.git', 'index.lock');
    await writeFile(lock, '');
    const released = new Promise((resolve) => setTimeout(resolve, 250)).then(() => rm(lock));
    const [restored, ...snapshots] = await Promise.all([
      restoreWorkspace(dir, before).then(() => 'restored'),
      ...Array.from({ length: 4 }, (_, index) => snapshotWorkspace(dir, `step-${index}`)),
      released,
    ]);
    expect(restored).toBe('restored');
    expect(new Set(snapshots.slice(0, 4).map((snapshot) => (snapshot as { ref: string }).ref)).size).toBe(4);
    expect(await treeOf(dir)).toBe(before.tree);
  });

  it('puts HEAD, the branch and the index back after commits and a branch switch', async () => {
    const dir = await sampleRepo();
    await writeFile(join(dir, 'staged.txt'), 'staged');
    await gitIn(dir, 'add', 'staged.txt');
    const before = await snapshotWorkspace(dir, 'git-state');
    const status = await gitIn(dir, 'status', '--porcelain');

    await gitIn(dir, 'switch', '--quiet', '-c', 'agent-branch');
    await writeFile(join(dir, 'src', 'math.js'), 'committed change\n');
    await gitIn(dir, 'commit', '--quiet', '-am', 'agent commit');

    await restoreWorkspace(dir, before);
    expect(await gitIn(dir, 'rev-parse', 'HEAD')).toBe(before.head);
    expect(await gitIn(dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(await gitIn(dir, 'status', '--porcelain')).toBe(status);
    expect(await treeOf(dir)).toBe(before.tree);
  });

  it('keeps the snapshot commit reachable from a ref, so gc cannot drop it', async () => {
    const dir = await sampleRepo();
    const snapshot = await snapshotWorkspace(dir, 'keep');
    expect(snapshot.ref).toMatch(/^refs\/troupe\/snapshots\/keep-/);
    expect(await gitIn(dir, 'rev-parse', `${snapshot.ref}^{tree}`)).toBe(snapshot.tree);
  });

  it('prepares a fresh repo per run, or a clone of a named repo that leaves the repo alone', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-data-'));
    const fresh = await prepareWorkspace({ dataDir, runId: 'run-1' });
    expect(await gitIn(fresh, 'rev-parse', '--is-inside-work-tree')).toBe('true');
    const repo = await sampleRepo();
    const refsBefore = await gitIn(repo, 'for-each-ref');
    const clone = await prepareWorkspace({ dataDir, runId: 'run-2', repo });
    expect(await readFile(join(clone, 'src', 'math.js'), 'utf8')).toContain('multiply');
    await writeFile(join(clone, 'src', 'math.js'), 'agent edit\n');
    await snapshotWorkspace(clone, 'in-clone');
    expect(await readFile(join(repo, 'src', 'math.js'), 'utf8')).toContain('multiply');
    expect(await gitIn(repo, 'for-each-ref')).toBe(refsBefore);
    expect(await gitIn(clone, 'remote')).toBe('');
    expect(await prepareWorkspace({ dataDir, runId: 'run-2', repo })).toBe(clone);
    await expect(prepareWorkspace({ dataDir, runId: 'run-3', repo: dataDir })).rejects.toThrow(
      /not inside a folder named in TROUPE_REPOS/,
    );
    const odd = await prepareWorkspace({ dataDir, runId: '../escape' });
    expect(odd.startsWith(join(await realpath(dataDir), 'workspaces') + sep)).toBe(true);
  });

  it('turns the folder an earlier shell step filled into a repo, keeping its files', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-data-'));
    await mkdir(join(dataDir, 'workspaces', 'shell-run'), { recursive: true });
    await writeFile(join(dataDir, 'workspaces', 'shell-run', 'copied.txt'), 'from a shell step');
    const dir = await prepareWorkspace({ dataDir, runId: 'shell-run' });
    expect(await readFile(join(dir, 'copied.txt'), 'utf8')).toBe('from a shell step');
    const snapshot = await snapshotWorkspace(dir, 'first');
    await rm(join(dir, 'copied.txt'));
    await restoreWorkspace(dir, snapshot);
    expect(await readFile(join(dir, 'copied.txt'), 'utf8')).toBe('from a shell step');
  });
});
