import type { ChatEntryView } from '../../api/chat-types';
import { formatUsd } from '../../components/format';

/** Who answered, with which model, for how many tokens and how much; and a simulated answer says so. */
export function EntryMeta({ entry, simulated }: { entry: ChatEntryView; simulated: boolean }) {
  const tokens = entry.usage ? entry.usage.inputTokens + entry.usage.outputTokens : undefined;
  return (
    <div className="chat-meta small muted">
      {entry.agent && <strong className="chat-agent">{entry.agent}</strong>}
      {entry.modelId && <span data-testid="model">{entry.modelId}</span>}
      {entry.usage && (
        <span data-testid="tokens" title={`${entry.usage.inputTokens} in, ${entry.usage.outputTokens} out`}>
          {tokens} tokens
        </span>
      )}
      {entry.costUsd !== undefined && <span data-testid="cost">{formatUsd(entry.costUsd)}</span>}
      {simulated && (
        <span className="chat-simulated" data-testid="simulated" title="From the scripted model server">
          simulated
        </span>
      )}
    </div>
  );
}
