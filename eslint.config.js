import { builtinModules } from 'node:module';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** What workflow code (and the pure modules it imports) must not touch: it would break replay. */
const deterministic = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'Workflow code runs in a deterministic sandbox: do the I/O in an activity instead.',
      })),
      patterns: [
        {
          group: ['**/activities/*', '!**/activities/*.d.ts'],
          allowTypeImports: true,
          message: 'Import activity types only (import type), then proxyActivities.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...[
      'process',
      'require',
      'fetch',
      'crypto',
      'performance',
      'setTimeout',
      'setInterval',
      'setImmediate',
    ].map((name) => ({
      name,
      message: `${name} is not deterministic in a workflow: use sleep(), uuid4() or an activity.`,
    })),
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Math',
      property: 'random',
      message: 'Use uuid4() from @temporalio/workflow, or take the value as input.',
    },
    {
      object: 'Date',
      property: 'now',
      message: 'Take the time as an argument; in a workflow, new Date() is replay-safe.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules', '.data', 'coverage', 'ui/dist', 'tests/fixtures'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: [
      'src/workflows/**/*.ts',
      'src/engine/**/*.ts',
      'bench/raw-workflows.ts',
      'bench/ai-sdk-workflows.ts',
      ...['router-policy', 'model-cost', 'model-failures', 'model-step-input', 'catalogue'].map(
        (name) => `src/models/${name}.ts`,
      ),
    ],
    ignores: ['**/*.test.ts'],
    rules: deterministic,
  },
  {
    // import-x cannot load a resolver for vite's own packages; config files import nothing of ours.
    files: ['vitest.config.ts', 'ui/vite.config.ts'],
    rules: { 'import-x/no-cycle': 'off' },
  },
  {
    files: ['tests/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
