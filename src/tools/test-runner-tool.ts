import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { runProgram } from './command-runner';
import { defineTool, ToolError } from './tool-kit';

export const TestFramework = { Npm: 'npm-test', Vitest: 'vitest', Pytest: 'pytest' } as const;
export type TestFramework = (typeof TestFramework)[keyof typeof TestFramework];

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Which runner a project uses: vitest if it depends on it, else npm test, else pytest. */
export async function detectTestFramework(root: string): Promise<TestFramework | undefined> {
  const pkg = await readFile(join(root, 'package.json'), 'utf8')
    .then(
      (text) =>
        JSON.parse(text) as {
          scripts?: Record<string, string>;
          devDependencies?: object;
          dependencies?: object;
        },
    )
    .catch(() => undefined);
  if (pkg) {
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    if ('vitest' in deps && (await exists(join(root, 'node_modules', '.bin', 'vitest'))))
      return TestFramework.Vitest;
    if (pkg.scripts?.test) return TestFramework.Npm;
  }
  for (const marker of ['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tests', 'conftest.py']) {
    if (await exists(join(root, marker))) return TestFramework.Pytest;
  }
  return undefined;
}

const commands: Record<TestFramework, string[]> = {
  [TestFramework.Npm]: ['npm', 'test', '--silent'],
  [TestFramework.Vitest]: ['npx', '--no-install', 'vitest', 'run'],
  [TestFramework.Pytest]: ['python3', '-m', 'pytest', '-q'],
};

/** Runs the project's tests the way the project runs them; passed is the exit code, nothing cleverer. */
export const runTestsTool = defineTool({
  name: 'run_tests',
  description:
    'Run the workspace project tests (detects vitest, `npm test` or pytest). Returns passed, the exit code and the output.',
  args: z.strictObject({
    framework: z.enum(Object.values(TestFramework) as [TestFramework, ...TestFramework[]]).optional(),
  }),
  mutates: false,
  async run({ framework }, context) {
    const chosen = framework ?? (await detectTestFramework(context.root));
    if (!chosen) {
      throw new ToolError(
        'no-test-runner',
        'run_tests: found no package.json test script, vitest or pytest project in the workspace',
      );
    }
    const result = await runProgram(commands[chosen], context);
    return { framework: chosen, passed: result.exitCode === 0, ...result };
  },
});
