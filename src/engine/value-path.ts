/** Formats a path inside a value, e.g. ['items', 0, 'stdout'] as `.items[0].stdout`. */
export function formatPathOf(path: readonly (string | number)[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
}
