import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ProblemField } from '../api/types';

/** A validation problem placed in the text: its 1-based line, and the character range to underline. */
export type PlacedProblem = { line: number; from: number; to: number; path: string; message: string };

/** `spec.steps[2].tool` as keys: `['steps', 2, 'tool']` (the leading body field dropped). */
export function pathKeys(path: string, root = 'spec'): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    keys.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? ''));
  }
  return keys[0] === root ? keys.slice(1) : keys;
}

type Range = [number, number];

/**
 * The deepest node of the document on the path, and the range to mark: a map entry's key (the
 * name the message is about), or the node itself. A path into something YAML cannot see (a field
 * that comes through a merge key `<<`, a missing field) stops at the nearest ancestor it can.
 */
function locate(root: Node | null | undefined, keys: (string | number)[]): Range | undefined {
  let node: unknown = root;
  let range: Range | undefined = root?.range ? [root.range[0], root.range[1]] : undefined;
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (keyNode.range) range = [keyNode.range[0], keyNode.range[1]];
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      if (item.range) range = [item.range[0], item.range[1]];
      node = item;
    } else {
      break;
    }
  }
  return range;
}

/**
 * Puts each of the API's problems on its line in the YAML text, so the editor can show it where the
 * user is looking. YAML syntax errors carry their line in the message; other paths are looked up in
 * the document (with source ranges from the `yaml` package). A problem that names no place goes on
 * line 1.
 */
export function placeProblems(text: string, problems: ProblemField[]): PlacedProblem[] {
  const lines = new LineCounter();
  const document = parseDocument(text, { merge: true, lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  const lineStart = (line: number) => lines.lineStarts[line - 1] ?? 0;
  const lineEnd = (line: number) => (lines.lineStarts[line] ?? text.length + 1) - 1;
  return problems.map(({ path, message }) => {
    const syntax = /at line (\d+)(?:, column (\d+))?/.exec(message);
    if (syntax) {
      const line = Math.min(Number(syntax[1]), lines.lineStarts.length);
      return { line, from: lineStart(line), to: Math.max(lineStart(line), lineEnd(line)), path, message };
    }
    const range = locate(document.contents, pathKeys(path));
    if (!range) return { line: 1, from: 0, to: Math.max(0, lineEnd(1)), path, message };
    const from = Math.min(range[0], text.length);
    const to = Math.min(Math.max(range[1], from), lineEnd(lineOf(from)));
    return { line: lineOf(from), from, to: Math.max(to, from), path, message };
  });
}
