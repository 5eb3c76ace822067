import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { SpecEditor, type SpecVerdict } from './SpecEditor';
import { placeProblems } from './yaml-problems';

const text = `name: demo
steps:
  - id: a
    kind: tool
    tool: hammer
`;

/** The editor with a fixed verdict, as the API would answer for `text`; edits go to `changes`. */
function Harness({ verdict, changes }: { verdict: SpecVerdict; changes: string[] }) {
  const [value, setValue] = useState(text);
  return (
    <SpecEditor
      value={value}
      label="Spec YAML"
      verdict={verdict}
      onChange={(next) => {
        changes.push(next);
        setValue(next);
      }}
    />
  );
}

describe('SpecEditor', () => {
  it('marks each problem at its line in the editor and lists it with the line and path', async () => {
    const problems = placeProblems(text, [
      { path: 'spec.steps[0].tool', message: 'tool must be one of: "shell", "noop"' },
    ]);
    render(<Harness verdict={{ state: 'invalid', problems }} changes={[]} />);

    const list = await screen.findByTestId('spec-problems');
    const item = list.querySelector('[data-line]');
    expect(item?.getAttribute('data-line')).toBe('5');
    expect(item?.getAttribute('data-path')).toBe('spec.steps[0].tool');
    expect(item?.textContent).toContain('Line 5');
    expect(item?.textContent).toContain('tool must be one of');

    await waitFor(() => expect(document.querySelector('[data-problem-line]')).not.toBeNull());
    const marked = [...document.querySelectorAll('[data-problem-line]')];
    expect(marked.map((line) => line.getAttribute('data-problem-line'))).toEqual(['5']);
    expect(marked[0]?.textContent).toBe('    tool: hammer');
  });

  it('shows the spec as valid, with no marked line, once the API accepts it', async () => {
    render(<Harness verdict={{ state: 'valid', name: 'demo' }} changes={[]} />);
    expect((await screen.findByTestId('spec-valid')).textContent).toContain('Valid spec demo');
    await screen.findByRole('textbox', { name: 'Spec YAML' });
    expect(document.querySelector('[data-problem-line]')).toBeNull();
    expect(screen.queryByTestId('spec-problems')).toBeNull();
  });

  it('passes what the user types to its owner', async () => {
    const changes: string[] = [];
    render(<Harness verdict={{ state: 'checking' }} changes={changes} />);
    const editor = await screen.findByRole('textbox', { name: 'Spec YAML' });
    await userEvent.click(editor);
    await userEvent.keyboard('#');
    await waitFor(() => expect(changes.length).toBeGreaterThan(0));
    expect(changes.at(-1)).toContain('#');
  });
});
