import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import type { SpecStep, StepSnapshot } from '../../api/types';
import type { StepNodeData } from './graph-model';
import { CompensationCard, StepCard } from './StepCard';

const node = (step: Partial<StepSnapshot> & { id: string }, declared?: Partial<SpecStep>): StepNodeData => ({
  kind: 'step',
  id: step.id,
  runId: 'run-1',
  planned: false,
  step: { status: 'pending', kind: 'tool', ...step },
  declared: declared as SpecStep | undefined,
});

function renderCard(ui: React.ReactElement) {
  return render(<MemoryRouter>{ui}</MemoryRouter>);
}

describe('the graph node', () => {
  it('carries its id and status as data attributes, and says the status with an icon and a word', () => {
    const { container } = renderCard(
      <StepCard
        data={node({ id: 'build', status: 'failed', attempts: 3 }, { kind: 'tool', tool: 'shell' })}
      />,
    );
    const card = container.querySelector('[data-step-id="build"]');
    expect(card?.getAttribute('data-step-status')).toBe('failed');
    expect(card?.textContent).toContain('failed');
    expect(card?.textContent).toContain('✕');
    expect(card?.textContent).toContain('tool shell');
    expect(card?.textContent).toContain('×3');
  });

  it('shows the model, its tokens and cost, and foreach progress', () => {
    renderCard(
      <StepCard
        data={node({
          id: 'summarise',
          status: 'running',
          kind: 'model',
          items: { done: 7, total: 20 },
          model: {
            modelId: 'qwen-local',
            provider: 'ollama',
            inputTokens: 120,
            outputTokens: 45,
            costUsd: 0.25,
            reason: 'local first',
            attempts: [],
          },
        })}
      />,
    );
    expect(screen.getByText('qwen-local')).toBeTruthy();
    expect(screen.getByText('120→45 tok')).toBeTruthy();
    expect(screen.getByText('$0.25')).toBeTruthy();
    expect(screen.getByTestId('foreach-progress').textContent).toContain('7/20');
  });

  it('shows the text a running step is writing', () => {
    renderCard(
      <StepCard
        data={node({ id: 'write', status: 'running', kind: 'model' })}
        tokens={{ stream: 's1', modelId: 'm', text: 'Once upon a time', start: 0, done: false }}
      />,
    );
    expect(screen.getByTestId('step-tokens').textContent).toBe('Once upon a time');
  });

  it('lets a person approve or reject a waiting approval, with a comment, on the node itself', async () => {
    const onDecide = vi.fn();
    renderCard(
      <StepCard
        data={node({ id: 'review', status: 'waiting', kind: 'approval', message: 'Publish 1.0?' })}
        onDecide={onDecide}
      />,
    );
    expect(screen.getByText('Publish 1.0?')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Comment for review'), 'ship it');
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(onDecide).toHaveBeenCalledWith({ approve: true, comment: 'ship it' });
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    expect(onDecide).toHaveBeenLastCalledWith({ approve: false, comment: 'ship it' });
  });

  it('offers no decision on a step that is not waiting', () => {
    renderCard(
      <StepCard data={node({ id: 'review', status: 'completed', kind: 'approval' })} onDecide={vi.fn()} />,
    );
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('links a subworkflow step to its child run, and marks planned steps', () => {
    renderCard(<StepCard data={{ ...node({ id: 'child', kind: 'subworkflow' }), planned: true }} />);
    expect(screen.getByRole('link', { name: /open subworkflow/ }).getAttribute('href')).toBe(
      '/runs/run-1.child',
    );
    expect(screen.getByText('planned')).toBeTruthy();
  });

  it('marks a compensation with the step it undoes and its place in the order', () => {
    const { container } = renderCard(
      <CompensationCard
        data={{
          kind: 'compensation',
          id: 'c',
          order: 2,
          record: {
            stepId: 'reserve',
            status: 'completed',
            startedAt: '2026-01-01T00:00:00.000Z',
            endedAt: '2026-01-01T00:00:01.000Z',
          },
        }}
      />,
    );
    const card = container.querySelector('[data-compensation-step="reserve"]');
    expect(card?.getAttribute('data-compensation-order')).toBe('2');
    expect(card?.textContent).toContain('undo reserve');
    expect(card?.textContent).toContain('1.0 s');
  });
});
