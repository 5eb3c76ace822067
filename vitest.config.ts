import react from '@vitejs/plugin-react';
import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that kill and restart processes, spawn whole stacks or drive Chromium: they run one at a time,
 * after the rest, so no other file's load stretches the timings they wait on.
 */
const serial = [
  'tests/ui/**/*.test.ts',
  'tests/reliability/{supervisor,npm-temporal,temporal-down}.test.ts',
  'tests/worker-restart.test.ts',
  'tests/engine-size.test.ts',
  'tests/chat/{chat-crash,demo}.test.ts',
  'tests/api/live-updates.test.ts',
  'tests/cluster/{start-cluster,cluster-faults}.test.ts',
];

const node = {
  pool: 'forks' as const,
  globalSetup: ['tests/helpers/global-setup.ts'],
  setupFiles: ['tests/helpers/quiet-runtime.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    // The other integration tests mostly wait on Temporal and servers, not the CPU: on a small machine
    // two files at a time finish far sooner than vitest's default of one per spare core.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          ...node,
          name: 'node',
          include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...serial],
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'ui',
          root: 'ui',
          environment: 'happy-dom',
          include: ['src/**/*.test.{ts,tsx}'],
          // userEvent types and clicks in real time: a busy machine needs more than the default 5 s.
          testTimeout: 20_000,
          setupFiles: ['src/test-setup.ts'],
        },
      },
      {
        test: {
          ...node,
          name: 'node-serial',
          include: serial,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
