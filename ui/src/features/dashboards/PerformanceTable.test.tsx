import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PerformanceRow } from '../../api/page-types';
import { PerformanceTable } from './PerformanceTable';

const day = (d: string, successRate?: number) => ({
  day: d,
  steps: successRate === undefined ? 0 : 2,
  successes: successRate === undefined ? 0 : Math.round(successRate * 2),
  ...(successRate !== undefined && { successRate, p95Ms: 900, meanScore: 90 }),
  costUsd: 0,
});

const coder: PerformanceRow = {
  id: 'coder',
  steps: 4,
  successes: 3,
  successRate: 0.75,
  meanScore: 82.4,
  p50Ms: 450,
  p95Ms: 2_500,
  costUsd: 0.03,
  costPerSuccess: 0.01,
  modelSteps: 4,
  localSteps: 1,
  localShare: 0.25,
  byDay: [day('2026-03-01', 0.5), day('2026-03-02'), day('2026-03-03', 1)],
};
const tester: PerformanceRow = {
  ...coder,
  id: 'tester',
  steps: 1,
  successes: 0,
  successRate: 0,
  costPerSuccess: undefined,
  byDay: [day('2026-03-01'), day('2026-03-02'), day('2026-03-03')],
};
delete (tester as { costPerSuccess?: number }).costPerSuccess;

describe('the performance table', () => {
  it('shows each agent with success, score, p50/p95, cost per success, local share and a trend', () => {
    render(<PerformanceTable title="Performance per agent" what="Agent" rows={[coder, tester]} />);
    const table = screen.getByRole('table', { name: 'Performance per agent' });
    const row = within(table).getByRole('row', { name: /^coder/ });
    expect(row.getAttribute('data-success-rate')).toBe('0.75');
    const cells = within(row)
      .getAllByRole('cell')
      .map((cell) => cell.textContent);
    expect(cells.slice(0, 6)).toEqual(['4', '75% (3/4)', '82', '450 ms / 2.5 s', '$0.01', '25%']);
    // The trend says its figures in words, and leaves the day without steps out.
    const spark = within(row).getByRole('img', { name: 'coder: success per day, 03-01 50%, 03-03 100%' });
    expect(spark.getAttribute('data-points')).toBe('2');
    const other = within(table).getByRole('row', { name: /^tester/ });
    expect(within(other).getByText('no success yet')).toBeTruthy();
    expect(within(other).getByRole('img', { name: 'tester: success per day, no steps' })).toBeTruthy();
  });

  it('says where each model runs instead of a share', () => {
    render(
      <PerformanceTable
        title="Performance per model"
        what="Model"
        local
        rows={[
          { ...coder, id: 'qwen2.5-coder:7b', local: true },
          { ...coder, id: 'gpt-4o-mini', local: false },
        ]}
      />,
    );
    expect(screen.getByRole('columnheader', { name: 'Where' })).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /^qwen/ })).getByText('local')).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /^gpt/ })).getByText('cloud')).toBeTruthy();
  });
});
