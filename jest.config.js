// Jest runs in native ESM mode (node --experimental-vm-modules): NestJS 12 ships as ES modules only.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#workflow-store$': '<rootDir>/libs/workflow-store/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  rootDir: '.',
};
/** Suites talking to the API over HTTP: every answer they see is checked against the OpenAPI document. */
const checkedAnswers = { setupFilesAfterEnv: ['<rootDir>/test/support/openapi-answers.setup.ts'] };

/** @type {import('jest').Config} */
export default {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.spec.ts'] },
    { ...common, ...checkedAnswers, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...common, ...checkedAnswers, displayName: 'replicas', testMatch: ['<rootDir>/test/replicas/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'nest', testMatch: ['<rootDir>/test/nest/**/*.spec.ts'] },
    { ...common, displayName: 'cli', testMatch: ['<rootDir>/test/cli/**/*.spec.ts'] },
    { ...common, displayName: 'deploy', testMatch: ['<rootDir>/test/deploy/**/*.spec.ts'] },
    { ...common, ...checkedAnswers, displayName: 'security', testMatch: ['<rootDir>/test/security/**/*.spec.ts'] },
    { ...common, displayName: 'fault', testMatch: ['<rootDir>/test/fault/**/*.spec.ts'] },
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.spec.ts'] },
    { ...common, displayName: 'sentinel', testMatch: ['<rootDir>/test/sentinel/**/*.spec.ts'] },
    { ...common, displayName: 'langgraph', testMatch: ['<rootDir>/test/langgraph/**/*.spec.ts'] },
    { ...common, displayName: 'observability', testMatch: ['<rootDir>/test/observability/**/*.spec.ts'] },
    { ...common, ...checkedAnswers, displayName: 'client', testMatch: ['<rootDir>/test/client/**/*.spec.ts'] },
    // /board in Chromium: its pages are not API operations, so no OpenAPI answer checks. One Redis, two API replicas
    // and Chromium serve all its files (each file a tenant of its own): see test/board/support/global-setup.mjs.
    {
      ...common,
      displayName: 'board',
      testMatch: ['<rootDir>/test/board/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/board/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/board/support/global-teardown.mjs',
    },
  ],
};
