import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { AuthConfigSchema } from '../../../services/auth-gateway/src/config.js';
import { BetsConfigSchema } from '../../../services/bets/src/config.js';
import { WalletConfigSchema } from '../../../services/wallet/src/config.js';
import { repoRoot } from './paths.js';

// The README's Configuration section must stay true: every variable a service reads is
// documented, and nothing documented is a variable no service or script reads.
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));

const serviceVariables = new Set(
  [AuthConfigSchema, WalletConfigSchema, BetsConfigSchema].flatMap((schema) => Object.keys(schema.properties)),
);
/** Read by the local stack (packages/stack/src/local-stack.ts, api-docs.ts), not by services. */
const stackVariables = new Set(['LUDIC_HTTP_PORT', 'LUDIC_POSTGRES_PORT', 'LUDIC_REDIS_PORT', 'LUDIC_INTERNAL_PORT', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'LUDIC_API_DOCS']);

t.test('every service variable is documented in the README', async (t) => {
  for (const name of serviceVariables) t.match(section, `\`${name}\``, name);
});

t.test('every documented variable is read by a service or the local stack', async (t) => {
  // The first cell of each table row names the variable(s): | `A` / `B` | default | meaning |
  const firstCells = section.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('|')[1] ?? '');
  const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string)));
  t.ok(documented.size > 40, 'the tables were found');
  for (const name of documented) t.ok(serviceVariables.has(name) || stackVariables.has(name), `${name} is read somewhere`);
});
