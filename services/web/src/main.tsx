import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SlipProvider } from './components/slip-context';
import { TopUpProvider } from './components/TopUp';
import { ToastProvider } from './components/ui/toast';
import { I18nProvider, useI18n } from './i18n';
import { AuthProvider } from './lib/auth';
import './index.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: 1 },
    // A failed mutation moves money or state: never retried behind the player's back.
    mutations: { retry: false },
  },
});

function Toasts({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return <ToastProvider closeLabel={t('app.close')}>{children}</ToastProvider>;
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <Toasts>
          <AuthProvider>
            <TopUpProvider>
              <SlipProvider>
                <App />
              </SlipProvider>
            </TopUpProvider>
          </AuthProvider>
        </Toasts>
      </I18nProvider>
    </QueryClientProvider>
  </StrictMode>,
);
