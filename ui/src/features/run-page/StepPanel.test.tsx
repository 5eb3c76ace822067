import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { RunSnapshot, SpecStep, StepSnapshot } from '../../api/types';
import { StepPanel } from './StepPanel';

const run = {
  runId: 'r1',
  messages: [
    {
      stepId: 'fix',
      from: 'coder',
      to: 'reviewer',
      question: 'ok?',
      answer: 'yes',
      at: '2026-01-01T00:00:00Z',
    },
  ],
  compensations: [],
} as unknown as RunSnapshot;

function renderPanel(
  step: StepSnapshot,
  declared?: SpecStep,
  onClose = vi.fn(),
  { forRun = run, runInput }: { forRun?: RunSnapshot; runInput?: Record<string, unknown> } = {},
) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <StepPanel
        stepId={step.id}
        step={step}
        declared={declared}
        run={forRun}
        runInput={runInput}
        temporalUrl="http://localhost:8233/namespaces/default/workflows/r1"
        onClose={onClose}
      />
    </QueryClientProvider>,
  );
  return onClose;
}

describe('the step details panel', () => {
  it("shows an agent step's input, transcript, tool calls, questions and output", () => {
    renderPanel(
      {
        id: 'fix',
        status: 'completed',
        kind: 'agent',
        attempts: 1,
        output: {
          answer: 'done',
          transcript: ['1. read_file a.ts → ok'],
          toolCalls: [
            { tool: 'read_file', ok: true },
            { tool: 'shell', ok: false, error: 'exit 1' },
          ],
        },
      },
      {
        id: 'fix',
        kind: 'agent',
        agent: 'coder',
        dependsOn: [],
        with: { task: 'fix ${{ input.bug }}' },
      } as unknown as SpecStep,
    );
    expect(
      within(screen.getByRole('region', { name: 'Input' })).getByText(/fix \$\{\{ input.bug \}\}/),
    ).toBeTruthy();
    expect(screen.getByText('1. read_file a.ts → ok')).toBeTruthy();
    expect(screen.getByText('shell: error: exit 1')).toBeTruthy();
    expect(screen.getByText(/ok\?/)).toBeTruthy();
    const output = within(screen.getByRole('region', { name: 'Output' }));
    expect(output.getByText(/"answer": "done"/)).toBeTruthy();
    expect(screen.getByRole('link', { name: /Temporal Web/ }).getAttribute('href')).toBe(
      'http://localhost:8233/namespaces/default/workflows/r1/history',
    );
  });

  it("shows a model step's routing reason and failover attempts, and the error", () => {
    renderPanel({
      id: 'ask',
      status: 'failed',
      kind: 'model',
      error: 'every model in the chain failed',
      model: {
        modelId: 'gpt-mini',
        provider: 'openai',
        inputTokens: 10,
        outputTokens: 0,
        costUsd: 0,
        reason: 'local model unhealthy; failed over to cloud',
        attempts: [
          { modelId: 'qwen', provider: 'ollama', outcome: 'failed', error: 'connection refused' },
          { modelId: 'gpt-mini', provider: 'openai', outcome: 'failed' },
        ],
      },
    });
    expect(screen.getByTestId('routing-reason').textContent).toContain('local model unhealthy');
    expect(screen.getByText(/qwen \(ollama\): failed — connection refused/)).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Error' })).getByText('every model in the chain failed'),
    ).toBeTruthy();
  });

  it('shows a large output as its preview, with a button that loads the rest on demand', () => {
    renderPanel({
      id: 'build',
      status: 'completed',
      kind: 'tool',
      output: {
        stdout: { $blob: `sha256:${'a'.repeat(64)}`, bytes: 250000, preview: 'line 1' },
        exitCode: 0,
      },
    });
    expect(screen.getByText('line 1…')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Load the whole output (250,000 bytes)' })).toBeTruthy();
  });

  it("shows the step's input with its templates resolved from the run's input and earlier outputs", () => {
    const greeted = {
      ...run,
      steps: [{ id: 'greet', status: 'completed', kind: 'tool', output: { stdout: 'Hello, Ada!' } }],
      context: { version: 1, values: { tone: 'warm' }, writes: [], conflicts: [] },
    } as unknown as RunSnapshot;
    renderPanel(
      { id: 'measure', status: 'running', kind: 'tool' },
      {
        id: 'measure',
        kind: 'tool',
        tool: 'shell',
        dependsOn: ['greet'],
        with: {
          run: 'wc -c',
          env: {
            GREETING: '${{ steps.greet.output.stdout }}',
            WHO: 'for ${{ input.name }}, ${{ context.tone }}',
            LATER: '${{ steps.report.output.stdout }}',
          },
        },
      } as unknown as SpecStep,
      vi.fn(),
      { forRun: greeted, runInput: { name: 'Ada' } },
    );
    const shown = screen.getByTestId('step-input').textContent ?? '';
    expect(JSON.parse(shown)).toEqual({
      run: 'wc -c',
      env: { GREETING: 'Hello, Ada!', WHO: 'for Ada, warm', LATER: '${{ steps.report.output.stdout }}' },
    });
    expect(screen.getByText(/1 not known yet, shown as written/)).toBeTruthy();
  });

  it('closes with its close button', async () => {
    const onClose = renderPanel({ id: 'x', status: 'pending', kind: 'tool' });
    await userEvent.click(screen.getByRole('button', { name: 'Close step details' }));
    expect(onClose).toHaveBeenCalled();
  });
  it("shows an agent: auto step's chosen agent, its reason and every candidate's estimate", () => {
    renderPanel(
      {
        id: 'check',
        status: 'completed',
        kind: 'agent',
        attempts: 1,
        choice: {
          agent: 'tester',
          needs: ['tests'],
          context: 'agent:tests:small',
          explored: false,
          reason: 'tester: highest expected reward 0.64 (success 0.8, quality 0.8, $0.0000, 0 records)',
          alternatives: [
            {
              agent: 'coder',
              estimate: 0.49,
              successMean: 0.7,
              qualityMean: 0.7,
              sampled: 0.49,
              observations: 2,
            },
            {
              agent: 'tester',
              estimate: 0.64,
              successMean: 0.8,
              qualityMean: 0.8,
              sampled: 0.64,
              observations: 0,
            },
          ],
        },
      },
      {
        id: 'check',
        kind: 'agent',
        agent: 'auto',
        dependsOn: [],
        with: { task: 'test' },
      } as unknown as SpecStep,
    );
    const choice = screen.getByRole('region', { name: 'Agent choice' });
    expect(choice.getAttribute('data-chosen')).toBe('tester');
    expect(within(choice).getByTestId('choice-reason').textContent).toBe(
      'Why: tester: highest expected reward 0.64 (success 0.8, quality 0.8, $0.0000, 0 records)',
    );
    const rows = within(choice).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.getAttribute('data-agent'))).toEqual(['tester', 'coder']);
    expect(rows[0]!.getAttribute('aria-current')).toBe('true');
    expect(
      within(rows[1]!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['0.490', '0.700', '0.700', '0.490', '2']);
    expect(screen.getByText('(auto)')).toBeTruthy();
  });
});
