// One runner, three projects: unit tests beside the code (no I/O), integration tests against
// the running Postgres and Redis (*.int.test.ts), end-to-end tests in test/ that start the
// services as processes (*.e2e.test.ts). A fourth, `faults`, breaks the system on purpose
// (test/faults, minutes long): run on its own with `npm run test:faults`, not by `npm test`;
// `cluster` starts a Redis Cluster of its own: `npm run test:cluster`.
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    },
  ],
};
const moduleNameMapper = {
  '^@mc/(core|contracts|config|db|render|channels|observability|redis)$': '<rootDir>/packages/$1/src/index.ts',
  // The generated Prisma client imports its siblings as './x.js' (ESM-style); jest reads the .ts.
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,services}/*/src/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/', '/dist/'],
    },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{packages,services}/*/src/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
    {
      // The Kubernetes manifests rendered with kubectl kustomize (no cluster needed).
      ...common,
      displayName: 'deploy',
      testMatch: ['<rootDir>/test/deploy/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
    {
      // The system on a real 3-master Redis Cluster it starts itself (`npm run test:cluster`).
      ...common,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/cluster/**/*.cluster.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
  ],
};
