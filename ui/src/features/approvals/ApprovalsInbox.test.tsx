import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalEntry } from '../../api/types';
import { ApprovalsInbox } from './ApprovalsInbox';

const now = Date.parse('2026-06-01T10:00:00Z');
const entries: ApprovalEntry[] = [
  {
    runId: 'approval-1',
    runName: 'approval',
    stepId: 'review',
    message: 'Publish release 1.0?',
    deadline: '2026-06-01T11:00:00.000Z',
    default: 'reject',
  },
  { runId: 'deploy-2', runName: 'deploy', stepId: 'gate', default: 'approve' },
];

describe('the approvals inbox', () => {
  it('lists every waiting step across runs with its message, deadline and default', () => {
    render(
      <MemoryRouter>
        <ApprovalsInbox approvals={entries} onDecide={vi.fn()} now={now} />
      </MemoryRouter>,
    );
    const items = screen.getAllByRole('listitem');
    expect(items).toHaveLength(2);
    const first = within(items[0]!);
    expect(first.getByText('Publish release 1.0?')).toBeTruthy();
    expect(first.getByTestId('deadline').textContent).toMatch(/in 1 h 0 min\).*rejected by default/);
    expect(first.getByRole('link').getAttribute('href')).toBe('/runs/approval-1?step=review');
    expect(within(items[1]!).getByTestId('deadline').textContent).toContain('approved by default');
  });

  it('approves or rejects the entry it belongs to, with the comment typed there', async () => {
    const onDecide = vi.fn();
    render(
      <MemoryRouter>
        <ApprovalsInbox approvals={entries} onDecide={onDecide} now={now} />
      </MemoryRouter>,
    );
    await userEvent.type(screen.getAllByRole('textbox', { name: 'Comment' })[0]!, 'looks good');
    await userEvent.click(screen.getByRole('button', { name: 'Approve review of approval-1' }));
    expect(onDecide).toHaveBeenCalledWith({
      runId: 'approval-1',
      stepId: 'review',
      approve: true,
      comment: 'looks good',
    });
    await userEvent.click(screen.getByRole('button', { name: 'Reject gate of deploy-2' }));
    expect(onDecide).toHaveBeenLastCalledWith({
      runId: 'deploy-2',
      stepId: 'gate',
      approve: false,
      comment: '',
    });
  });

  it('disables the buttons of the entry whose decision is being sent', () => {
    render(
      <MemoryRouter>
        <ApprovalsInbox approvals={entries} onDecide={vi.fn()} pending="deploy-2/gate" now={now} />
      </MemoryRouter>,
    );
    expect(screen.getByRole('button', { name: 'Approve gate of deploy-2' }).hasAttribute('disabled')).toBe(
      true,
    );
    expect(
      screen.getByRole('button', { name: 'Approve review of approval-1' }).hasAttribute('disabled'),
    ).toBe(false);
  });
});
