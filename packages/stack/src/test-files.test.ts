import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { findTestFiles, tallyTapOutput } from './test-files.js';
import { testDir } from './testkit.js';

t.test('finds *.test.ts under packages/, services/ and deploy/, not in node_modules, dist or dot-dirs', async (t) => {
  const root = testDir('repo');
  const files = [
    'packages/a/src/money.test.ts',
    'services/b/src/deep/route.test.ts',
    'services/b/test/flow.test.ts',
    'services/b/src/app.ts',
    'services/b/src/cli/test.ts',
    'services/b/node_modules/x/y.test.ts',
    'services/b/dist/app.test.ts',
    'packages/a/.cache/z.test.ts',
    'deploy/ops.test.ts',
    'scripts/elsewhere.test.ts',
  ];
  for (const file of files) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(root, file), '');
  }
  t.same(findTestFiles(root), ['deploy/ops.test.ts', 'packages/a/src/money.test.ts', 'services/b/src/deep/route.test.ts', 'services/b/test/flow.test.ts']);
});

t.test('tallies test files from the top level of the TAP stream only', async (t) => {
  const output = [
    'TAP version 14',
    '# Subtest: packages/a/src/money.test.ts',
    '    ok 1 - rounds down',
    '    not ok 2 - an inner failure is counted through its file',
    'not ok 1 - packages/a/src/money.test.ts # time=12ms',
    '# Subtest: services/b/src/route.test.ts',
    '    ok 1 - fine',
    'ok 2 - services/b/src/route.test.ts # time=40ms',
    'ok 3 - services/b/test/skipped.test.ts # SKIP no database',
    '1..3',
  ];
  t.same(tallyTapOutput(output), {
    passed: ['services/b/src/route.test.ts', 'services/b/test/skipped.test.ts'],
    failed: ['packages/a/src/money.test.ts'],
  });
});
