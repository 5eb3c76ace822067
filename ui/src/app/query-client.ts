import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

/** Retries what may pass (the API unreachable, a 5xx) and never a 4xx, which would only repeat itself. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => count < 3 && !(error instanceof ApiError && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}
