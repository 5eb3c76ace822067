import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { CollaborationRecord } from '../../api/types';
import { CollaborationView } from './CollaborationView';

const answer = (agent: string, round: number, summary: string, costUsd = 0.001) => ({
  agent,
  round,
  ok: true,
  output: { summary },
  modelId: 'qwen2.5-coder:7b',
  inputTokens: 120,
  outputTokens: 30,
  costUsd,
});

describe('a collaborate step in the step panel', () => {
  it("shows every round's answers, the winner in the last round and the judge's reasons", () => {
    const record: CollaborationRecord = {
      mode: 'debate',
      agents: ['code-generator', 'docs-writer'],
      judge: 'reviewer',
      answers: [
        answer('docs-writer', 1, 'Call it Borealis'),
        answer('code-generator', 0, 'Call it Aurora'),
        answer('docs-writer', 0, 'Call it Borealis'),
        answer('code-generator', 1, 'Still Aurora'),
      ],
      disagreed: true,
      winner: 'code-generator',
      settled: 'the judge (reviewer) chose code-generator: shorter',
      rounds: 1,
      verdict: {
        judge: 'reviewer',
        choice: 0,
        agree: false,
        reasons: ['Aurora is shorter', 'Borealis is taken'],
        modelId: 'gpt-4o-mini',
        costUsd: 0.002,
      },
      costUsd: 0.006,
    };
    render(<CollaborationView record={record} />);
    const section = screen.getByRole('region', { name: 'Collaboration' });
    expect(section.dataset.winner).toBe('code-generator');
    expect(section.dataset.disagreed).toBe('true');
    expect(within(section).getByRole('heading', { level: 3 }).textContent).toBe(
      'Team · debate · code-generator wins',
    );
    expect(section.textContent).toContain('⚠ The agents disagreed · 1 debate round · $0.0060 in all');
    const rows = within(within(section).getByRole('list', { name: 'Answers' })).getAllByRole('listitem');
    expect(rows.map((row) => `${row.dataset.agent}@${row.dataset.round}`)).toEqual([
      'code-generator@0',
      'docs-writer@0',
      'code-generator@1',
      'docs-writer@1',
    ]);
    // Only the winner's answer in the last round is marked: its first answer lost nothing yet.
    expect(
      rows.filter((row) => row.getAttribute('aria-current') === 'true').map((row) => row.dataset.round),
    ).toEqual(['1']);
    expect(rows[2]!.textContent).toContain('Still Aurora');
    const verdict = within(section).getByTestId('verdict');
    expect(
      within(verdict)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['Aurora is shorter', 'Borealis is taken']);
  });

  it('says how many answers have come while the step runs, and shows a failed answer by its error', () => {
    render(
      <CollaborationView
        record={{
          mode: 'vote',
          agents: ['code-generator', 'docs-writer', 'tester'],
          answers: [
            answer('code-generator', 0, 'a.ts'),
            {
              agent: 'tester',
              round: 0,
              ok: false,
              error: 'every model refused',
              inputTokens: 0,
              outputTokens: 0,
              costUsd: 0,
            },
          ],
          costUsd: 0.001,
        }}
      />,
    );
    const section = screen.getByRole('region', { name: 'Collaboration' });
    expect(section.dataset.disagreed).toBe('');
    expect(section.textContent).toContain('2 of 3 answers so far');
    const failed = within(section)
      .getAllByRole('listitem')
      .find((row) => row.dataset.agent === 'tester')!;
    expect(failed.dataset.ok).toBe('false');
    expect(failed.textContent).toContain('✗ every model refused');
    expect(section.textContent).not.toContain('score');
  });
});
