import type { RunFilter, RunStatus } from '../../api/types';

export const runStatuses: RunStatus[] = ['running', 'paused', 'waiting', 'completed', 'failed', 'cancelled'];

/** The list's filter, kept in the URL so a filtered list can be shared and survives a reload. */
export function filterFromSearch(search: URLSearchParams): RunFilter {
  const status = search.get('status');
  const local = (name: string) => {
    const value = search.get(name);
    if (!value) return undefined;
    const time = new Date(value);
    return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
  };
  const since = local('since');
  const until = local('until');
  return {
    ...(status && (runStatuses as string[]).includes(status) && { status: status as RunStatus }),
    ...(search.get('agent') && { agent: search.get('agent') ?? '' }),
    ...(search.get('q') && { q: search.get('q') ?? '' }),
    ...(since && { since }),
    ...(until && { until }),
  };
}
