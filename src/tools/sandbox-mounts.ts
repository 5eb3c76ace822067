import { existsSync, lstatSync, mkdtempSync, readlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { SandboxSettings } from './sandbox-settings';

/** Inside the sandbox every command is this user, whatever host user runs it. */
export const sandboxUser = { name: 'troupe', uid: 1000, gid: 1000 } as const;

/** The PATH a command sees: system folders only (the worker's own PATH names folders it cannot see). */
export const sandboxPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const systemDirs = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** What of /etc a command needs to run programs; never passwd, shadow, ssh or the host's keys. */
const etcFiles = [
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/protocols',
  '/etc/services',
  '/etc/mime.types',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/ssl/certs',
  '/etc/ssl/openssl.cnf',
  '/etc/ca-certificates',
  '/etc/magic',
  '/etc/magic.mime',
  '/etc/terminfo',
  '/etc/shells',
  '/etc/python3',
  '/etc/python3.11',
  '/etc/perl',
];
/** Only a command allowed the network needs to resolve names. */
const networkEtcFiles = ['/etc/resolv.conf', '/etc/hosts'];

type Generated = { passwd: string; group: string; unreadable: string };
let generated: Generated | undefined;

/** The sandbox's /etc/passwd and /etc/group (its own user only) and a file nobody may read. */
function generatedFiles(): Generated {
  if (generated) return generated;
  const dir = mkdtempSync(join(tmpdir(), 'troupe-sandbox-'));
  const { name, uid, gid } = sandboxUser;
  const files = {
    passwd: join(dir, 'passwd'),
    group: join(dir, 'group'),
    unreadable: join(dir, 'unreadable'),
  };
  writeFileSync(
    files.passwd,
    `${name}:x:${uid}:${gid}:Troupe sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  );
  writeFileSync(files.group, `${name}:x:${gid}:\nnogroup:x:65534:\n`);
  writeFileSync(files.unreadable, '');
  for (const file of [files.passwd, files.group]) chmodSync(file, 0o644);
  chmodSync(files.unreadable, 0o000);
  chmodSync(dir, 0o755);
  generated = files;
  return files;
}

export function inside(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export type MountRequest = {
  workspace: string;
  network: boolean;
  /** Host files bound writable at a path of the sandbox. */
  files?: { host: string; at: string }[];
  /** More host paths bound read-only at their own paths, when they exist. */
  readonly?: string[];
};

/**
 * bubblewrap's filesystem arguments: a read-only system, the settings' read-only folders, a private
 * /tmp, /dev and /proc, and the workspace as the only writable host folder, at its own path. The
 * data folder is hidden even when a read-only folder contains it; the sandbox's root is read-only.
 */
export function mountArgs(request: MountRequest, settings: SandboxSettings): string[] {
  const args: string[] = [];
  for (const dir of systemDirs) {
    const stat = lstatSafe(dir);
    if (!stat) continue;
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  for (const file of [...etcFiles, ...(request.network ? networkEtcFiles : [])]) {
    if (existsSync(file)) args.push('--ro-bind', file, file);
  }
  const files = generatedFiles();
  args.push('--ro-bind', files.passwd, '/etc/passwd', '--ro-bind', files.group, '/etc/group');
  args.push('--dev', '/dev', '--proc', '/proc', '--ro-bind', files.unreadable, '/proc/1/environ');
  args.push('--size', String(settings.TROUPE_SANDBOX_TMP_MB * 1024 * 1024), '--tmpfs', '/tmp');
  args.push('--tmpfs', '/var/tmp', '--tmpfs', '/run');
  const readable = [
    ...settings.TROUPE_REPOS,
    ...settings.TROUPE_SANDBOX_READONLY,
    ...nodePrefix(),
    ...(request.readonly ?? []),
  ];
  for (const dir of readable) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  for (const hidden of hiddenDirs(request.workspace, settings)) {
    if (readable.some((dir) => inside(dir, hidden))) args.push('--tmpfs', hidden);
  }
  args.push('--bind', request.workspace, request.workspace);
  for (const { host, at } of request.files ?? []) args.push('--bind', host, at);
  args.push('--remount-ro', '/');
  return args;
}

/** Node's own folder, when it is not under /usr (nvm, a tarball in /opt). */
function nodePrefix(): string[] {
  const prefix = dirname(dirname(process.execPath));
  return systemDirs.some((dir) => inside(dir, prefix)) ? [] : [prefix];
}

/** The data folder: from the settings, and the one the workspace sits in (`<data>/workspaces/<run>`). */
function hiddenDirs(workspace: string, settings: SandboxSettings): string[] {
  const parent = dirname(workspace);
  return [
    ...(settings.TROUPE_DATA_DIR ? [resolve(settings.TROUPE_DATA_DIR)] : []),
    ...(basename(parent) === 'workspaces' ? [dirname(parent)] : []),
  ];
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
