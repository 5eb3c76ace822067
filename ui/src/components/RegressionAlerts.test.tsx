import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { MAX_ALERTS, withAlert } from '../api/alerts-live';
import type { RegressionAlert } from '../api/types';
import { RegressionToast } from './RegressionAlerts';

const alert = (runId: string, over: Partial<RegressionAlert> = {}): RegressionAlert => ({
  id: `${runId}:durationMs`,
  kind: 'regression',
  runId,
  specName: 'paced',
  metric: 'durationMs',
  value: 3_400,
  baseline: 1_200,
  worseBy: 1.83,
  message: `paced run ${runId}: durationMs 3400 ms is 183% above the baseline 1200 ms`,
  endedAt: '2026-03-01T10:00:00.000Z',
  raisedAt: '2026-03-01T10:00:01.000Z',
  ...over,
});

describe('regression alerts', () => {
  it('keeps each alert once, newest first, and at most a few', () => {
    let list: RegressionAlert[] = [];
    list = withAlert(list, alert('a'));
    list = withAlert(list, alert('b'));
    list = withAlert(list, alert('a'));
    expect(list.map((a) => a.runId)).toEqual(['b', 'a']);
    for (let i = 0; i < 10; i++) list = withAlert(list, alert(`r${i}`));
    expect(list).toHaveLength(MAX_ALERTS);
    expect(list[0]?.runId).toBe('r9');
  });

  it('says what got worse and by how much, links the run, and can be dismissed', async () => {
    const onDismiss = vi.fn();
    render(
      <MemoryRouter>
        <ul>
          <RegressionToast alert={alert('run-7')} onDismiss={onDismiss} />
        </ul>
      </MemoryRouter>,
    );
    expect(screen.getByText('Regression: Duration 183% worse')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'paced' }).getAttribute('href')).toBe('/runs/run-7');
    expect(screen.getByText(/3.4 s against a baseline of 1.2 s/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss the duration regression of paced' }));
    expect(onDismiss).toHaveBeenCalledOnce();
  });

  it('says a cost that was nothing before rose from nothing', () => {
    render(
      <MemoryRouter>
        <ul>
          <RegressionToast
            alert={alert('run-8', {
              id: 'run-8:costUsd',
              metric: 'costUsd',
              value: 0.5,
              baseline: 0,
              worseBy: null,
            })}
            onDismiss={vi.fn()}
          />
        </ul>
      </MemoryRouter>,
    );
    expect(screen.getByText('Regression: Cost up from nothing')).toBeTruthy();
    expect(screen.getByText(/\$0.50 against a baseline of \$0/)).toBeTruthy();
  });
});
