import { yaml } from '@codemirror/lang-yaml';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { PlacedProblem } from './yaml-problems';

export type YamlEditorProps = {
  value: string;
  onChange?: (value: string) => void;
  problems?: PlacedProblem[];
  label: string;
  readOnly?: boolean;
};

const setProblemLines = StateEffect.define<number[]>();

/** Marks each line with a problem (`data-problem-line`), so people and tests see where it is. */
const problemLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(lines, transaction) {
    let next = lines.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setProblemLines)) continue;
      const builder = new RangeSetBuilder<Decoration>();
      const doc = transaction.state.doc;
      for (const line of [...new Set(effect.value)].sort((a, b) => a - b)) {
        if (line < 1 || line > doc.lines) continue;
        const at = doc.line(line);
        builder.add(at.from, at.from, Decoration.line({ attributes: { 'data-problem-line': String(line) } }));
      }
      next = builder.finish();
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

const theme = EditorView.theme({
  '&': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
    borderRadius: '6px',
    fontSize: '0.9rem',
  },
  '.cm-content': {
    fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, monospace",
    caretColor: 'var(--text)',
  },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--muted)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLine, .cm-activeLineGutter': {
    backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)',
  },
  '[data-problem-line]': { backgroundColor: 'color-mix(in srgb, var(--danger) 12%, transparent)' },
  '&.cm-focused': { outline: '3px solid var(--focus)', outlineOffset: '2px' },
  '.cm-scroller': { minHeight: '18rem' },
});

/** YAML colours from the page's theme variables, so keys and comments stay readable in dark and light. */
const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: 'var(--code-key)' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--code-string)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--code-literal)' },
  { tag: [tags.comment, tags.lineComment], color: 'var(--code-comment)', fontStyle: 'italic' },
  { tag: [tags.labelName, tags.typeName, tags.keyword, tags.meta], color: 'var(--code-meta)' },
  { tag: [tags.punctuation, tags.separator, tags.squareBracket, tags.brace], color: 'var(--muted)' },
]);

/**
 * A CodeMirror 6 editor for spec YAML: highlighting, line numbers, and the API's problems at their
 * lines (a gutter mark, an underline with the message on hover, the line tinted). Loaded on demand:
 * only the pages that edit specs pay for CodeMirror.
 */
export default function YamlEditor({
  value,
  onChange,
  problems = [],
  label,
  readOnly = false,
}: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          EditorView.lineWrapping,
          yaml(),
          syntaxHighlighting(highlight),
          lintGutter(),
          problemLines,
          theme,
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label, 'data-testid': 'yaml-editor' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Made once: value and problems reach the editor through the effects below.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() === value) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const length = editor.state.doc.length;
    const diagnostics: Diagnostic[] = problems.map((problem) => ({
      from: Math.min(problem.from, length),
      to: Math.min(Math.max(problem.to, problem.from), length),
      severity: 'error',
      message: problem.path ? `${problem.path}: ${problem.message}` : problem.message,
    }));
    const spec = setDiagnostics(editor.state, diagnostics);
    editor.dispatch({
      ...spec,
      effects: [...[spec.effects ?? []].flat(), setProblemLines.of(problems.map((problem) => problem.line))],
    });
  }, [problems]);

  return <div ref={host} className="yaml-editor" />;
}
