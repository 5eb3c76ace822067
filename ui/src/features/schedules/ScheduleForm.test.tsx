import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CreateSchedule } from '../../api/page-types';
import { ScheduleForm } from './ScheduleForm';

function setup() {
  const sent: CreateSchedule[] = [];
  render(<ScheduleForm specNames={['hello', 'parallel']} onSubmit={(body) => sent.push(body)} />);
  return { sent, user: userEvent.setup() };
}

describe('ScheduleForm', () => {
  it('reads the cron expression back in words as it is typed', async () => {
    const { user } = setup();
    const cron = screen.getByLabelText(/Cron expressions/);
    await user.clear(cron);
    await user.type(cron, '30 2 * * *');
    expect(screen.getByTestId('cron-words').textContent).toBe('At 02:30');
    await user.type(cron, ' nonsense');
    expect(screen.getByTestId('cron-words').textContent).toContain('is not a cron expression');
  });

  it('sends a cron schedule with its spec, overlap policy and input', async () => {
    const { sent, user } = setup();
    await user.type(screen.getByLabelText('Id'), 'nightly');
    await user.selectOptions(screen.getByLabelText('Spec'), 'parallel');
    await user.selectOptions(screen.getByLabelText(/previous run is still going/), 'buffer-one');
    await user.type(screen.getByLabelText(/^Input/), '{{"pause": 0}');
    await user.click(screen.getByRole('button', { name: 'Create schedule' }));
    expect(sent).toEqual([
      {
        id: 'nightly',
        specName: 'parallel',
        cron: ['0 9 * * MON-FRI'],
        overlap: 'buffer-one',
        input: { pause: 0 },
        paused: false,
      },
    ]);
  });

  it('sends an interval instead when the user picks one', async () => {
    const { sent, user } = setup();
    await user.type(screen.getByLabelText('Id'), 'often');
    await user.selectOptions(screen.getByLabelText('Spec'), 'hello');
    await user.click(screen.getByLabelText('Every interval'));
    const every = screen.getByLabelText('Interval');
    await user.clear(every);
    await user.type(every, '2s');
    await user.click(screen.getByLabelText('Create it paused'));
    await user.click(screen.getByRole('button', { name: 'Create schedule' }));
    expect(sent).toEqual([
      { id: 'often', specName: 'hello', every: '2s', overlap: 'skip', input: {}, paused: true },
    ]);
  });

  it('names each wrong field and sends nothing', async () => {
    const { sent, user } = setup();
    await user.type(screen.getByLabelText('Id'), 'bad id!');
    await user.click(screen.getByLabelText('Every interval'));
    const every = screen.getByLabelText('Interval');
    await user.clear(every);
    await user.type(every, 'soon');
    await user.click(screen.getByRole('button', { name: 'Create schedule' }));
    expect(sent).toEqual([]);
    expect(screen.getByLabelText('Id').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/letters, digits, _, \. and - only/)).toBeTruthy();
    expect(screen.getByText('Pick the saved spec the schedule runs.')).toBeTruthy();
    expect(screen.getByText(/An interval looks like 30s/)).toBeTruthy();
  });
});
