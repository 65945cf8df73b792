import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** The committed public API document (./scripts/openapi writes it). */
export const publicOpenApiPath = path.join(repoRoot, 'docs', 'openapi.json');

const pageSources = path.join(repoRoot, 'packages', 'stack', 'api-docs');
/** What the page needs from swagger-ui-dist: no standalone preset, no source maps. */
const swaggerUiFiles = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'];

/**
 * Whether the edge serves the browsable docs: `LUDIC_API_DOCS` is `on` (the default) or
 * `off` (e.g. in production, where the reference may not be wanted in public).
 */
export function apiDocsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.LUDIC_API_DOCS ?? 'on').trim().toLowerCase();
  if (value === 'on' || value === '') return true;
  if (value === 'off') return false;
  throw new Error(`LUDIC_API_DOCS must be "on" or "off", got "${env.LUDIC_API_DOCS}"`);
}

/**
 * Assembles the static docs site into `targetDir` (created if missing): Swagger UI from the
 * swagger-ui-dist package, the page and its initializer, and the public OpenAPI document.
 * Returns `targetDir`, for `apiDocsRoot`.
 */
export function buildApiDocs(targetDir: string): string {
  mkdirSync(targetDir, { recursive: true });
  const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const file of swaggerUiFiles) copyFileSync(path.join(swaggerUiDir, file), path.join(targetDir, file));
  for (const file of ['index.html', 'swagger-initializer.js']) copyFileSync(path.join(pageSources, file), path.join(targetDir, file));
  copyFileSync(publicOpenApiPath, path.join(targetDir, 'openapi.json'));
  return targetDir;
}
