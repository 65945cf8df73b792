import { LogOut, Menu, Moon, Sun, Monitor, Wallet } from 'lucide-react';
import { useEffect, useId, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useAuth } from '../lib/auth';
import { displayMoney, type Lang } from '../lib/format';
import { useWallet } from '../lib/queries';
import { applyTheme, chooseTheme, readThemeChoice, subscribeTheme, type ThemeChoice } from '../lib/theme';
import { cn } from '../lib/utils';
import { useTopUp } from './TopUp';
import { Button } from './ui/button';
import { Sheet } from './ui/dialog';

const links: { href: string; label: MessageKey; when: 'always' | 'user' | 'admin' }[] = [
  { href: '/', label: 'nav.events', when: 'always' },
  { href: '/bets', label: 'nav.bets', when: 'user' },
  { href: '/transactions', label: 'nav.transactions', when: 'user' },
  { href: '/leaderboard', label: 'nav.leaderboard', when: 'always' },
  { href: '/admin', label: 'nav.admin', when: 'admin' },
];

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const [location] = useLocation();
  return (
    <ul className="flex flex-col gap-1">
      {links
        .filter((link) => link.when === 'always' || (link.when === 'user' && user) || (link.when === 'admin' && user?.role === 'admin'))
        .map((link) => {
          const active = location === link.href;
          return (
            <li key={link.href}>
              <Link
                href={link.href}
                onClick={onNavigate}
                aria-current={active ? 'page' : undefined}
                className={cn(
                  'block rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring',
                  active ? 'bg-accent text-accent-foreground' : 'text-muted-foreground hover:bg-muted hover:text-foreground',
                )}
              >
                {t(link.label)}
              </Link>
            </li>
          );
        })}
    </ul>
  );
}

const themeIcons = { light: Sun, dark: Moon, system: Monitor };
/**
 * One button cycles the theme so that the first click always changes what the player sees:
 * system → the opposite of the system's → the system's own, remembered → system again.
 */
function nextTheme(current: ThemeChoice, systemDark: boolean): ThemeChoice {
  const opposite = systemDark ? 'light' : 'dark';
  const same = systemDark ? 'dark' : 'light';
  if (current === 'system') return opposite;
  return current === opposite ? same : 'system';
}
const themeLabels: Record<ThemeChoice, MessageKey> = { light: 'header.themeLight', dark: 'header.themeDark', system: 'header.themeSystem' };

function Preferences() {
  const { t, lang, setLang } = useI18n();
  const theme = useSyncExternalStore(subscribeTheme, readThemeChoice);
  const languageId = useId();
  const next = nextTheme(theme, window.matchMedia('(prefers-color-scheme: dark)').matches);
  // Following the system means following it live, when the OS switches at dusk.
  useEffect(() => {
    if (theme !== 'system') return;
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const follow = () => applyTheme('system');
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, [theme]);
  const Icon = themeIcons[theme];
  return (
    <div className="flex items-center gap-1">
      <Button
        variant="ghost"
        size="icon"
        data-testid="theme-toggle"
        aria-label={`${t('header.theme')}: ${t(themeLabels[theme])}`}
        title={`${t('header.theme')}: ${t(themeLabels[theme])}`}
        onClick={() => chooseTheme(next)}
      >
        <Icon className="h-5 w-5" aria-hidden />
      </Button>
      <label className="sr-only" htmlFor={languageId}>
        {t('header.language')}
      </label>
      <select
        id={languageId}
        value={lang}
        onChange={(event) => setLang(event.target.value as Lang)}
        className="h-9 rounded-md border border-input bg-background px-2 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
      >
        <option value="en">EN</option>
        <option value="ru">RU</option>
      </select>
    </div>
  );
}

function Balance() {
  const { t, lang } = useI18n();
  const wallet = useWallet();
  const { open } = useTopUp();
  return (
    <div className="flex items-center gap-2">
      <p className="flex items-center gap-1.5 text-sm" aria-live="polite">
        <Wallet className="h-4 w-4 text-muted-foreground" aria-hidden />
        <span className="sr-only">{t('header.balance')}: </span>
        <strong data-testid="balance">{wallet.data ? displayMoney(wallet.data.balance, wallet.data.currency, lang) : '…'}</strong>
      </p>
      <Button size="sm" variant="outline" onClick={open}>
        {t('header.topUp')}
      </Button>
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { user, logout } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded-md focus:bg-card focus:px-3 focus:py-2">
        {t('app.skipToContent')}
      </a>
      <header className="sticky top-0 z-30 border-b bg-background/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-2 px-3 sm:px-6">
          <Button variant="ghost" size="icon" className="md:hidden" onClick={() => setMenuOpen(true)} aria-label={t('nav.menu')} data-testid="menu-button">
            <Menu className="h-5 w-5" aria-hidden />
          </Button>
          <Link href="/" className="mr-auto text-lg font-bold tracking-tight text-primary">
            {t('app.name')}
          </Link>
          {user ? <Balance /> : null}
          <div className="hidden items-center gap-2 sm:flex">
            <Preferences />
          </div>
          {user ? (
            <Button variant="ghost" size="icon" onClick={() => void logout()} aria-label={t('header.logout')} title={t('header.signedInAs', { name: user.name })}>
              <LogOut className="h-5 w-5" aria-hidden />
            </Button>
          ) : (
            <div className="flex items-center gap-1">
              <Button asChild variant="ghost" size="sm">
                <Link href="/login">{t('header.login')}</Link>
              </Button>
              <Button asChild size="sm" className="hidden sm:inline-flex">
                <Link href="/register">{t('header.register')}</Link>
              </Button>
            </div>
          )}
        </div>
      </header>
      <Sheet open={menuOpen} onOpenChange={setMenuOpen} title={t('nav.menu')} closeLabel={t('app.close')}>
        <nav aria-label={t('nav.main')}>
          <NavLinks onNavigate={() => setMenuOpen(false)} />
        </nav>
        <div className="mt-auto flex flex-col gap-2 border-t pt-4">
          {user ? <p className="text-sm text-muted-foreground">{t('header.signedInAs', { name: user.name })}</p> : null}
          <Preferences />
        </div>
      </Sheet>
      <div className="mx-auto flex max-w-7xl gap-6 px-3 py-4 sm:px-6 sm:py-6">
        <aside className="hidden w-48 shrink-0 md:block">
          <nav aria-label={t('nav.main')} className="sticky top-20">
            <NavLinks />
          </nav>
        </aside>
        <main id="main" tabIndex={-1} className="min-w-0 flex-1 focus:outline-none">
          {children}
        </main>
      </div>
    </div>
  );
}
