import { readdirSync } from 'node:fs';
import path from 'node:path';

const skippedDirs = new Set(['node_modules', 'dist']);

/** Every `*.test.ts` under packages/, services/ and deploy/ (not in node_modules, dist or dot-dirs), relative to `root`. */
export function findTestFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || skippedDirs.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(path.relative(root, full));
    }
  };
  for (const top of ['packages', 'services', 'deploy']) walk(path.join(root, top));
  return found.sort();
}

export interface TapFileTally {
  passed: string[];
  failed: string[];
}

/**
 * Tallies test files from tap's TAP output: each file is one top-level (unindented)
 * `ok N - <file>` or `not ok N - <file>` line.
 */
export function tallyTapOutput(lines: Iterable<string>): TapFileTally {
  const tally: TapFileTally = { passed: [], failed: [] };
  for (const line of lines) {
    const match = /^(not )?ok \d+ - (.+?)(?: # .*)?$/.exec(line);
    if (!match) continue;
    (match[1] ? tally.failed : tally.passed).push(match[2] as string);
  }
  return tally;
}
