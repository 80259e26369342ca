// Lint rules, with the workflow-safety rules from DESIGN.md for src/workflows.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.switchboard/**', 'bench/results/**', 'dist/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off: Temporal's activity and handler types, and test helpers such as `eventually`, take
      // Promise-returning functions; an `async` function without `await` is how a sync body conforms.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a parameter kept for its position or for overload resolution;
      // `{ dropped: _x, ...kept }` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // 120 columns: Prettier wraps code at 120; this catches the comments it leaves alone. Strings,
      // template literals (test names, HTML, messages) and URLs stay whole so they can be searched for.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: vitest types its asymmetric matchers (`expect.any`, `expect.stringMatching`, …) as `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Workflow code and the contracts it shares with activities and clients: deterministic, no I/O.
    files: ['src/workflows/**/*.ts', 'src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process'],
              message: 'Workflows must not import Node built-ins (non-deterministic).',
            },
            { group: ['undici', 'undici/*'], message: 'Workflows must not do I/O: call an activity.' },
            {
              group: ['**/providers/**', '**/sandbox/**', '**/artifacts/**', '**/worker/**'],
              message: 'Workflows must not import provider or worker code: call an activity.',
            },
            {
              group: ['**/activities/**'],
              message: 'Workflows import activities as types only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
      // The worker preloads workflow modules: one module scope per V8 context, shared by every
      // workflow in it, and exports deep-frozen by the SDK (see src/worker/create.ts).
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(Program, ExportNamedDeclaration) > VariableDeclaration[kind!="const"]',
          message:
            'Module scope is shared by every workflow in a V8 context: no `let`/`var` here; keep state in the workflow function.',
        },
        {
          selector:
            ':matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression',
          message:
            'Module scope is shared by every workflow in a V8 context: no module-level Map/Set/objects built with `new`.',
        },
        {
          selector: 'PropertyDefinition[static=true]',
          message: 'Static fields are shared by every workflow in a V8 context.',
        },
        {
          selector:
            'ExportNamedDeclaration > VariableDeclaration > VariableDeclarator[init.callee.name!="lazy"] MemberExpression[object.name="z"]',
          message:
            'Export zod schemas through `lazy(() => …)` (src/contracts/lazy.ts): preloaded exports are deep-frozen and zod schemas mutate themselves.',
        },
      ],
    },
  },
  {
    // Data flows down: activities, providers, stores and the sandbox share contracts through
    // src/contracts, never by importing workflow code.
    files: [
      'src/activities/**/*.ts',
      'src/providers/**/*.ts',
      'src/artifacts/**/*.ts',
      'src/identity/**/*.ts',
      'src/sandbox/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/workflows/**'], message: 'Import shared types from src/contracts, not from src/workflows.' },
          ],
        },
      ],
    },
  },
);
