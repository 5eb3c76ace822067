import { parseDocument } from 'yaml';

/** One problem with untrusted data, at the path (relative to the data's root) where it is. */
export type DataIssue = { path: (string | number)[]; message: string };

/** The limits untrusted YAML and JSON are held to; each error message names the one it broke. */
export const DataLimits = {
  /** Characters of YAML text in one spec (the same as the API's YAML import limit). */
  yamlChars: 1_000_000,
  /** Alias expansions in one YAML document (yaml's own default), which stops billion-laughs bombs. */
  yamlAliases: 100,
  /** Levels of nesting of objects and arrays. */
  depth: 64,
  /**
   * A cheap upper bound on YAML text's nesting (indentation, brackets and `- `/`? `/`: ` indicators),
   * checked before the parser runs: yaml composes recursively, and V8 can abort the whole process
   * (not throw) when a regular expression compiles on a nearly exhausted stack.
   */
  yamlNestingBound: 200,
} as const;

/** Keys that would reach an object's prototype when data is merged or copied into plain objects. */
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses YAML (or JSON, which YAML includes) from a request, within DataLimits. Every failure comes
 * back as issues, never as a throw: an alias bomb, a document nested past what the parser can follow
 * or a forbidden key is the sender's mistake and must answer 400.
 */
export function parseUntrustedYaml(
  text: string,
  what = 'the spec',
): { ok: true; value: unknown } | { ok: false; issues: DataIssue[] } {
  if (text.length > DataLimits.yamlChars) {
    return fail(
      [],
      `${what} is ${text.length} characters of YAML; the limit is ${DataLimits.yamlChars.toLocaleString('en')}`,
    );
  }
  const nesting = nestingBound(text);
  if (nesting.bound > DataLimits.yamlNestingBound) {
    return fail(
      [],
      `${what} nests or indents more than ${DataLimits.yamlNestingBound} levels deep at line ${nesting.line}; the limit is ${DataLimits.depth} levels of objects and arrays`,
    );
  }
  let value: unknown;
  try {
    const document = parseDocument(text, { merge: true });
    if (document.errors.length > 0) {
      return {
        ok: false,
        issues: document.errors.slice(0, 3).map((error) => {
          const at = error.linePos?.[0];
          const where = at ? ` at line ${at.line}, column ${at.col}` : '';
          const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
          return { path: [], message: `${what} is not valid YAML${where}: ${reason}` };
        }),
      };
    }
    value = document.toJS({ maxAliasCount: DataLimits.yamlAliases });
  } catch (err) {
    if (err instanceof ReferenceError) {
      return fail(
        [],
        `${what} expands YAML aliases (*name) more than ${DataLimits.yamlAliases} times, the limit; write the values out instead`,
      );
    }
    return fail([], `${what} is nested too deeply to parse; the limit is ${DataLimits.depth} levels`);
  }
  const issues = checkUntrustedData(value);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

/**
 * Every forbidden key (`__proto__`, `constructor`, `prototype`) in `value`, with its path, and the
 * first place it nests deeper than DataLimits.depth. Walks with its own stack, so no input can
 * overflow the call stack here.
 */
export function checkUntrustedData(value: unknown, maxIssues = 20): DataIssue[] {
  type Frame = { value: unknown; path: (string | number)[]; key?: string };
  const issues: DataIssue[] = [];
  const stack: Frame[] = [{ value, path: [] }];
  let tooDeep = false;
  while (stack.length > 0 && issues.length < maxIssues) {
    const next = stack.pop() as Frame;
    if (next.key !== undefined && forbiddenKeys.has(next.key)) {
      issues.push({
        path: next.path,
        message: `the key "${next.key}" is not allowed (it could change what objects inherit); rename it`,
      });
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.path.length >= DataLimits.depth) {
      if (!tooDeep)
        issues.push({
          path: next.path,
          message: `nests deeper than ${DataLimits.depth} levels of objects and arrays, the limit`,
        });
      tooDeep = true;
      continue;
    }
    const children: Frame[] = Array.isArray(next.value)
      ? next.value.map((item: unknown, index) => ({ value: item, path: [...next.path, index] }))
      : Object.entries(next.value as Record<string, unknown>).map(([key, item]) => ({
          value: item,
          path: [...next.path, key],
          key,
        }));
    // Pushed last-first, so the issues come out in document order.
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index] as Frame);
  }
  return issues;
}

/** An upper bound on how deep YAML text nests, and the first line that reaches it. */
function nestingBound(text: string): { bound: number; line: number } {
  let flow = 0;
  let worst = { bound: 0, line: 0 };
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start);
    line += 1;
    let at = start;
    while (at < end && (text[at] === ' ' || text[at] === '\t')) at += 1;
    let levels = at - start;
    const reach = () => {
      if (levels + flow > worst.bound) worst = { bound: levels + flow, line };
    };
    for (; at < end; at += 1) {
      const char = text[at];
      if (char === '[' || char === '{') {
        flow += 1;
        reach();
      } else if ((char === ']' || char === '}') && flow > 0) {
        flow -= 1;
      } else if ((char === '-' || char === '?' || char === ':') && (at + 1 === end || text[at + 1] === ' ')) {
        levels += 1;
      }
    }
    reach();
    start = end + 1;
  }
  return worst;
}

function fail(path: (string | number)[], message: string): { ok: false; issues: DataIssue[] } {
  return { ok: false, issues: [{ path, message }] };
}
