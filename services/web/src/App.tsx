import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Redirect, Route, Switch } from 'wouter';
import { Layout } from './components/Layout';
import { useI18n } from './i18n';
import { useAuth } from './lib/auth';
import { useNotifications } from './lib/notifications';
import { LoginPage, RegisterPage } from './pages/AuthPages';
import { BetsPage } from './pages/BetsPage';
import { EventsPage } from './pages/EventsPage';
import { LeaderboardPage } from './pages/LeaderboardPage';
import { TransactionsPage } from './pages/TransactionsPage';

// Operators only: kept out of the bundle every player downloads.
const AdminPage = lazy(() => import('./pages/AdminPage'));

function Loading() {
  const { t } = useI18n();
  return <p className="text-muted-foreground">{t('app.loading')}</p>;
}

function SignedIn({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  if (!ready) return <Loading />;
  return user ? <>{children}</> : <Redirect to="/login" />;
}

function SignedOut({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  if (!ready) return <Loading />;
  return user ? <Redirect to="/" /> : <>{children}</>;
}

export function App() {
  const { t } = useI18n();
  useNotifications();
  useEffect(() => {
    document.title = t('app.name');
  }, [t]);
  return (
    <Layout>
      <Switch>
        <Route path="/">
          <EventsPage />
        </Route>
        <Route path="/login">
          <SignedOut>
            <LoginPage />
          </SignedOut>
        </Route>
        <Route path="/register">
          <SignedOut>
            <RegisterPage />
          </SignedOut>
        </Route>
        <Route path="/bets">
          <SignedIn>
            <BetsPage />
          </SignedIn>
        </Route>
        <Route path="/transactions">
          <SignedIn>
            <TransactionsPage />
          </SignedIn>
        </Route>
        <Route path="/leaderboard">
          <LeaderboardPage />
        </Route>
        <Route path="/admin">
          <SignedIn>
            <Suspense fallback={<Loading />}>
              <AdminPage />
            </Suspense>
          </SignedIn>
        </Route>
        <Route>
          <Redirect to="/" />
        </Route>
      </Switch>
    </Layout>
  );
}
