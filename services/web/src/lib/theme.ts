/** Theme choice: `system` follows the OS; an explicit choice is remembered (public/theme-init.js reads it before paint). */
export type ThemeChoice = 'light' | 'dark' | 'system';
const STORAGE_KEY = 'ludic.theme';

export function readThemeChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'light' || stored === 'dark') return stored;
  } catch {
    // storage disabled
  }
  return 'system';
}

export function applyTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // applied for this page only
  }
  const dark = choice === 'dark' || (choice === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
}

const listeners = new Set<() => void>();

/** Sets and remembers the choice; every theme control re-renders with it. */
export function chooseTheme(choice: ThemeChoice): void {
  applyTheme(choice);
  for (const listener of listeners) listener();
}

export function subscribeTheme(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
