import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { chatKeys } from '../../api/chat-queries';
import { Composer } from './Composer';
import type { ModeChoice } from './ModePicker';

const commands = [
  { name: 'agents', usage: '/agents', description: 'List the agents' },
  { name: 'approve', usage: '/approve <runId> <stepId> [comment]', description: 'Approve a step' },
  { name: 'status', usage: '/status [runId]', description: "A run's status" },
];

function Harness({ inFlight = false }: { inFlight?: boolean }) {
  const [client] = useState(() => {
    const made = new QueryClient();
    made.setQueryData(chatKeys.commands, { commands });
    return made;
  });
  const [choice, setChoice] = useState<ModeChoice>({
    mode: 'single',
    agent: 'auto',
    team: { agents: ['code-generator', 'tester'], resolve: 'judge', rounds: 2 },
  });
  return (
    <QueryClientProvider client={client}>
      <Composer
        sessionId="chat-1"
        agents={['code-generator', 'tester']}
        choice={choice}
        onChoice={setChoice}
        inFlight={inFlight}
      />
      <output data-testid="choice">{JSON.stringify(choice)}</output>
    </QueryClientProvider>
  );
}

describe('the composer', () => {
  it('offers slash commands as they are typed and takes one with the arrow keys and Enter', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const box = screen.getByRole('combobox', { name: 'Your message' });
    await user.type(box, '/a');
    const options = within(screen.getByRole('listbox')).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual([
      '/agents List the agents',
      '/approve <runId> <stepId> [comment] Approve a step',
      "/status [runId] A run's status",
    ]);
    expect(box.getAttribute('aria-expanded')).toBe('true');
    expect(options[0]?.getAttribute('aria-selected')).toBe('true');
    await user.keyboard('{ArrowDown}');
    expect(box.getAttribute('aria-activedescendant')).toBe(options[1]?.id);
    await user.keyboard('{Enter}');
    expect((box as HTMLTextAreaElement).value).toBe('/approve ');
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('closes the list on Escape, keeping the draft', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const box = screen.getByRole('combobox', { name: 'Your message' });
    await user.type(box, '/st');
    expect(within(screen.getByRole('listbox')).getAllByRole('option')).toHaveLength(1);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('listbox')).toBeNull();
    expect((box as HTMLTextAreaElement).value).toBe('/st');
  });

  it('shows the agent picker with auto for one agent, and the team and its resolution for a team', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const agent = screen.getByLabelText<HTMLSelectElement>('Agent');
    expect([...agent.options].map((option) => option.value)).toEqual(['auto', 'code-generator', 'tester']);
    await user.click(screen.getByLabelText('Team'));
    expect(screen.queryByLabelText('Agent')).toBeNull();
    await user.click(screen.getByRole('checkbox', { name: 'tester' }));
    await user.selectOptions(screen.getByLabelText('Resolve by'), 'debate');
    fireEvent.change(screen.getByLabelText('Rounds'), { target: { value: '3' } });
    expect(JSON.parse(screen.getByTestId('choice').textContent ?? '')).toMatchObject({
      mode: 'team',
      team: { agents: ['code-generator'], resolve: 'debate', rounds: 3 },
    });
  });

  it('offers Stop only while a turn is in flight, and Send only with something to send', async () => {
    const user = userEvent.setup();
    const { rerender } = render(<Harness />);
    expect(screen.queryByRole('button', { name: '■ Stop' })).toBeNull();
    const send = screen.getByRole<HTMLButtonElement>('button', { name: 'Send' });
    expect(send.disabled).toBe(true);
    await user.type(screen.getByRole('combobox', { name: 'Your message' }), 'hello');
    expect(send.disabled).toBe(false);
    rerender(<Harness inFlight />);
    expect(screen.getByRole('button', { name: '■ Stop' })).toBeTruthy();
  });
});
