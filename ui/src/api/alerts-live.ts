import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import { keys } from './queries';
import { liveSocket } from './socket';
import type { RegressionAlert } from './types';

/** How many alerts stay on screen at once; older ones give way. */
export const MAX_ALERTS = 5;

/** The alerts list after `alert` arrives: newest first, each id once, at most MAX_ALERTS. */
export function withAlert(current: readonly RegressionAlert[], alert: RegressionAlert): RegressionAlert[] {
  if (current.some((shown) => shown.id === alert.id)) return [...current];
  return [alert, ...current].slice(0, MAX_ALERTS);
}

/**
 * The regression alerts the server sent since the page opened, kept in the query cache: the socket's
 * `alert` events add to it, and dismissing removes one. The server sends each regression once; the
 * id check covers a reconnect to another API process.
 */
export function useRegressionAlerts() {
  const client = useQueryClient();
  useEffect(() => {
    const live = liveSocket();
    const onAlert = (alert: RegressionAlert) =>
      client.setQueryData(keys.alerts, (current: RegressionAlert[] | undefined) =>
        withAlert(current ?? [], alert),
      );
    live.on('alert', onAlert);
    return () => void live.off('alert', onAlert);
  }, [client]);
  const { data } = useQuery<RegressionAlert[]>({
    queryKey: keys.alerts,
    queryFn: () => [],
    staleTime: Infinity,
    initialData: [],
  });
  const dismiss = useCallback(
    (id: string) =>
      client.setQueryData(keys.alerts, (current: RegressionAlert[] | undefined) =>
        (current ?? []).filter((alert) => alert.id !== id),
      ),
    [client],
  );
  return { alerts: data, dismiss };
}
