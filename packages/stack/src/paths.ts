import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor holding pnpm-workspace.yaml (works from src and dist). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('@ludic/stack: cannot find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();

/** Where `./scripts/up` keeps everything it owns (gitignored). */
export const localStackDir = path.join(repoRoot, '.ludic');
