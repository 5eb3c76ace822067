import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { keys } from './queries';
import type { SavedSpec, SpecList, StartedRun, StartRunBody, ValidSpec } from './page-types';

/** Cache keys of the spec library and its validation, beside the hooks that use them. */
export const specKeys = {
  all: ['specs'] as const,
  one: (name: string) => ['specs', name] as const,
  yaml: (name: string) => ['specs', name, 'yaml'] as const,
  validate: (text: string) => ['spec-validate', text] as const,
};

const specPath = (name: string) => `/api/specs/${encodeURIComponent(name)}`;

export function useSpecs() {
  return useQuery({ queryKey: specKeys.all, queryFn: () => api<SpecList>('/api/specs') });
}

export function useSpec(name: string | undefined) {
  return useQuery({
    queryKey: specKeys.one(name ?? ''),
    queryFn: () => api<SavedSpec>(specPath(name ?? '')),
    enabled: Boolean(name),
  });
}

/** The YAML file as saved, comments kept: what the editor opens. */
export function useSpecYaml(name: string | undefined) {
  return useQuery({
    queryKey: specKeys.yaml(name ?? ''),
    queryFn: () => api<string>(`${specPath(name ?? '')}/export`),
    enabled: Boolean(name),
  });
}

/**
 * The server's verdict on a spec text (the engine's own parser, so the editor shows exactly what a
 * start would refuse). Callers debounce `text`; each distinct text is asked once.
 */
export function useValidateSpec(text: string) {
  return useQuery({
    queryKey: specKeys.validate(text),
    queryFn: () => api<ValidSpec>('/api/specs/validate', { method: 'POST', json: { spec: text } }),
    enabled: text.trim().length > 0,
    retry: false,
    staleTime: Infinity,
    placeholderData: (previous) => previous,
  });
}

export function useSaveSpec() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, yaml }: { name?: string; yaml: string }) =>
      name
        ? api<SavedSpec>(specPath(name), { method: 'PUT', json: { spec: yaml } })
        : api<SavedSpec>('/api/specs', { method: 'POST', json: { spec: yaml } }),
    onSuccess: (saved) => {
      client.setQueryData(specKeys.one(saved.name), saved);
      void client.invalidateQueries({ queryKey: specKeys.all });
    },
  });
}

/** Creates or replaces a spec from a YAML file as it is, comments and all. */
export function useImportSpec() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (yaml: string) =>
      api<SavedSpec>('/api/specs/import', {
        method: 'POST',
        body: yaml,
        headers: { 'content-type': 'application/yaml' },
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: specKeys.all }),
  });
}

export function useDeleteSpec() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api<void>(specPath(name), { method: 'DELETE' }),
    onSuccess: (_done, name) => {
      client.removeQueries({ queryKey: specKeys.one(name) });
      void client.invalidateQueries({ queryKey: specKeys.all });
    },
  });
}

export function useStartRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: StartRunBody) => api<StartedRun>('/api/runs', { method: 'POST', json: body }),
    onSuccess: (started) => {
      // The start's own forecast is the run page's first one, so it shows before any refetch.
      if (started.prediction)
        client.setQueryData(keys.forecast(started.runId), {
          runId: started.runId,
          prediction: started.prediction,
        });
      void client.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}
