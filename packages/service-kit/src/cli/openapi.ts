/**
 * Writes the committed OpenAPI documents from the contracts (no database or Redis needed):
 *
 *   ./scripts/openapi           regenerate docs/openapi.json and docs/openapi-internal.json
 *   ./scripts/openapi --check   exit 1 if either committed copy is stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openApiFiles, renderOpenApiDocuments } from '../openapi-files.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const docsDir = fileURLToPath(new URL('../../../../docs/', import.meta.url));
const rendered = await renderOpenApiDocuments();

let stale = 0;
for (const [kind, file] of Object.entries(openApiFiles)) {
  const target = `${docsDir}${file}`;
  const text = rendered[kind as keyof typeof openApiFiles];
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === text) continue;
  if (values.check) {
    console.error(`docs/${file} is stale: run ./scripts/openapi`);
    stale += 1;
  } else {
    await writeFile(target, text);
    console.log(`wrote docs/${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
