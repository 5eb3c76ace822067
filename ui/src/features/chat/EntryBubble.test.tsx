import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatEntryView } from '../../api/chat-types';
import { EntryBubble } from './EntryBubble';

const reply = (patch: Partial<ChatEntryView> = {}): ChatEntryView => ({
  id: 'a1',
  role: 'assistant',
  turn: 'u1',
  at: '2026-01-01T00:00:00.000Z',
  text: '',
  status: 'running',
  agent: 'tester',
  ...patch,
});

describe('a message bubble', () => {
  it('shows the text streamed so far while the answer is written', () => {
    render(
      <EntryBubble
        entry={reply()}
        tokens={{ stream: 's', modelId: 'm', text: 'Hello **wor', start: 0, end: 11, done: false }}
        simulated={false}
      />,
    );
    const bubble = screen.getByRole('article', { name: 'Answer from tester' });
    expect(bubble.getAttribute('data-status')).toBe('running');
    expect(bubble.getAttribute('aria-busy')).toBe('true');
    expect(screen.getByTestId('answer-text').textContent).toContain('Hello');
  });

  it('shows the recorded answer once done, as Markdown with highlighted code, and its model, tokens and cost', () => {
    const text = 'Use **bcrypt**:\n\n```ts\nconst hash = await bcrypt.hash(password, 12);\n```\n';
    const { container } = render(
      <EntryBubble
        entry={reply({
          status: 'done',
          text,
          modelId: 'qwen2.5-coder:7b',
          usage: { inputTokens: 40, outputTokens: 12 },
          costUsd: 0.0012,
          why: 'auto chose tester: matches "test"',
        })}
        tokens={{ stream: 's', modelId: 'm', text: 'stale', start: 0, end: 5, done: true }}
        simulated
      />,
    );
    expect(container.querySelector('strong')?.textContent).toBe('tester');
    expect(container.querySelector('.markdown strong')?.textContent).toBe('bcrypt');
    expect(container.querySelector('pre code.language-ts .hljs-keyword')?.textContent).toBe('const');
    expect(screen.getByTestId('model').textContent).toBe('qwen2.5-coder:7b');
    expect(screen.getByTestId('tokens').textContent).toBe('52 tokens');
    expect(screen.getByTestId('cost').textContent).toBe('$0.0012');
    expect(screen.getByTestId('simulated').textContent).toBe('simulated');
    expect(screen.getByText(/auto chose tester/)).toBeTruthy();
    expect(screen.queryByText('stale')).toBeNull();
  });

  it('renders no raw HTML from an answer', () => {
    const { container } = render(
      <EntryBubble
        entry={reply({ status: 'done', text: 'hi <img src=x onerror="alert(1)">' })}
        tokens={undefined}
        simulated={false}
      />,
    );
    expect(container.querySelector('img')).toBeNull();
  });

  it('shows a code block in a language it does not know as plain text', () => {
    const { container } = render(
      <EntryBubble
        entry={reply({ status: 'done', text: '```klingon\nqapla\n```' })}
        tokens={undefined}
        simulated={false}
      />,
    );
    expect(container.querySelector('pre code')?.textContent).toContain('qapla');
  });

  it('shows a command answer as written, usage line included', () => {
    render(
      <EntryBubble
        entry={reply({ role: 'command', status: 'done', text: 'give the run id\nusage: /cancel <runId>' })}
        tokens={undefined}
        simulated={false}
      />,
    );
    expect(screen.getByRole('article', { name: 'Command answer' }).textContent).toContain(
      'usage: /cancel <runId>',
    );
    expect(screen.queryByTestId('simulated')).toBeNull();
  });
});
