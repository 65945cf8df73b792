/**
 * Measures what a first visit downloads: the JavaScript and CSS that dist/index.html loads
 * (its entry scripts, their static imports and modulepreloads — lazy chunks such as the admin
 * page are not counted), gzipped as nginx serves them. Prints the sizes and exits non-zero when
 * the initial JavaScript is over the budget, so `pnpm build` fails instead of shipping it.
 *
 *   node --import tsx scripts/bundle-size.ts [distDir]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const INITIAL_JS_BUDGET_BYTES = 200 * 1024;

export interface BundleSize {
  files: { file: string; bytes: number; gzipBytes: number }[];
  initialJsGzip: number;
  initialCssGzip: number;
}

/** The same-origin JS/CSS files index.html references, then every chunk those JS files import statically. */
export function measureInitialBundle(distDir: string): BundleSize {
  const html = readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const queue = [...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((match) => match[1] as string);
  const seen = new Set<string>();
  const files: BundleSize['files'] = [];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const content = readFileSync(path.join(distDir, file));
    files.push({ file, bytes: content.length, gzipBytes: gzipSync(content, { level: 6 }).length });
    if (file.endsWith('.js')) {
      // Static imports between chunks: `import{…}from"./x.js"` or `import"./x.js"`; dynamic
      // `import("./x.js")` is what lazy loading looks like and is left out.
      for (const match of content.toString('utf8').matchAll(/(?:from|import)\s*"(\.\/[^"]+\.js)"/g)) {
        queue.push(path.posix.join(path.posix.dirname(file), match[1] as string));
      }
    }
  }
  const sum = (ext: string) => files.filter((f) => f.file.endsWith(ext)).reduce((total, f) => total + f.gzipBytes, 0);
  return { files, initialJsGzip: sum('.js'), initialCssGzip: sum('.css') };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const distDir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
  const size = measureInitialBundle(distDir);
  for (const file of size.files) console.log(`  ${file.file}  ${kb(file.bytes)}  (gzip ${kb(file.gzipBytes)})`);
  console.log(`initial JavaScript: ${kb(size.initialJsGzip)} gzipped (budget ${kb(INITIAL_JS_BUDGET_BYTES)}); initial CSS: ${kb(size.initialCssGzip)} gzipped`);
  if (size.initialJsGzip > INITIAL_JS_BUDGET_BYTES) {
    console.error('initial JavaScript is over budget');
    process.exit(1);
  }
}
