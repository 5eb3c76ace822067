import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { insightKeys } from './insight-queries';
import type { AgentsResponse, AgentSummary } from './page-types';
import { liveSocket } from './socket';

/** Patches the agents list with each agent's status as the workers publish it (agents:status). */
export function useAgentsLive(): void {
  const client = useQueryClient();
  useEffect(() => {
    const live = liveSocket();
    const subscribe = () => live.emit('agents:subscribe', {}, () => undefined);
    const onStatus = (status: Record<string, AgentSummary>) =>
      client.setQueryData(insightKeys.agents, (current: AgentsResponse | undefined) =>
        current
          ? {
              ...current,
              agents: current.agents.map((agent) => ({ ...agent, status: status[agent.id] ?? agent.status })),
            }
          : current,
      );
    live.on('agents:status', onStatus);
    live.on('connect', subscribe);
    if (live.connected) subscribe();
    return () => {
      live.off('agents:status', onStatus);
      live.off('connect', subscribe);
    };
  }, [client]);
}
