/** Nothing from the host's or the user's git config, no prompt, no editor, no pager. */
export const gitBaseEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_EDITOR: 'true',
  GIT_SEQUENCE_EDITOR: 'true',
  GIT_PAGER: 'cat',
} as const;

/**
 * Command-line config (as GIT_CONFIG_COUNT variables, so every git a script runs gets it, and it
 * outranks the repo's own config): no hooks, no fsmonitor, no signing program, no transport unless
 * the network is allowed, and no ownership check (the sandbox is the boundary). defuseFilters adds
 * the filter drivers.
 */
export function hardenedGitEnv(network: boolean): Record<string, string> {
  const pairs: [string, string][] = [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['safe.directory', '*'],
    ['commit.gpgSign', 'false'],
    ['tag.gpgSign', 'false'],
    ...(network ? [] : ([['protocol.allow', 'never']] as [string, string][])),
  ];
  const env: Record<string, string> = { ...gitBaseEnv, GIT_CONFIG_COUNT: String(pairs.length) };
  for (const [index, [key, value]] of pairs.entries()) {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  }
  return env;
}

/**
 * A shell prelude that defuses every filter driver the repo's config defines (`filter.<name>.clean`
 * and the like, programs a command may have planted for git to run): each gets empty commands and
 * required=false as command-line config, which outranks the repo's. Reading the config runs nothing.
 */
export const defuseFilters = `names=$(git config --name-only --get-regexp '^filter[.]' 2>/dev/null | sed -n 's/^filter[.]\\(.*\\)[.][^.]*$/\\1/p' | sort -u)
i=\${GIT_CONFIG_COUNT:-0}
while IFS= read -r name; do
  [ -n "$name" ] || continue
  for key in clean smudge process; do
    export "GIT_CONFIG_KEY_$i=filter.$name.$key" "GIT_CONFIG_VALUE_$i="; i=$((i + 1))
  done
  export "GIT_CONFIG_KEY_$i=filter.$name.required" "GIT_CONFIG_VALUE_$i=false"; i=$((i + 1))
done <<TROUPE_NAMES
$names
TROUPE_NAMES
export GIT_CONFIG_COUNT=$i
`;

/** Runs git with its arguments ($@) after the prelude, as a `sh -c` argv. */
export function hardenedGitArgv(args: readonly string[]): string[] {
  return ['/bin/sh', '-c', `${defuseFilters}exec git "$@"`, 'git', ...args];
}
