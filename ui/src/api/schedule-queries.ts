import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import type { CreateSchedule, OverlapPolicy, ScheduleList, ScheduleView } from './page-types';

export const scheduleKeys = { all: ['schedules'] as const };

const schedulePath = (id: string, action = '') =>
  `/api/schedules/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

/** Every schedule with its next and recent runs; refreshed while the page is open, as runs come due. */
export function useSchedules() {
  return useQuery({
    queryKey: scheduleKeys.all,
    queryFn: () => api<ScheduleList>('/api/schedules'),
    refetchInterval: 5_000,
  });
}

function useScheduleMutation<T, R>(call: (input: T) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: scheduleKeys.all });
      void client.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}

export function useCreateSchedule() {
  return useScheduleMutation((body: CreateSchedule) =>
    api<ScheduleView>('/api/schedules', { method: 'POST', json: body }),
  );
}

export type ScheduleAction = 'pause' | 'unpause' | 'trigger' | 'delete';
export function useScheduleAction() {
  return useScheduleMutation(({ id, action }: { id: string; action: ScheduleAction }) =>
    action === 'delete'
      ? api<void>(schedulePath(id), { method: 'DELETE' })
      : api<unknown>(schedulePath(id, action), { method: 'POST', json: {} }),
  );
}

export type BackfillInput = { id: string; start: string; end: string; overlap: OverlapPolicy };
export function useBackfill() {
  return useScheduleMutation(({ id, ...body }: BackfillInput) =>
    api<unknown>(schedulePath(id, 'backfill'), { method: 'POST', json: body }),
  );
}
