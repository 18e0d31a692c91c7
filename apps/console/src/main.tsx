import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './App.tsx';
import { RouterProvider } from './router.tsx';
import { SESSION_KEY, statusOf } from './api.ts';

// A 401 anywhere means the session ended (signed out elsewhere, idle, its key revoked): asking for
// the session again turns the app back to the sign-in form.
const sessionEnded = (err: unknown) => {
  if (statusOf(err) === 401) void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
};

const queryClient: QueryClient = new QueryClient({
  // Not for the session query itself, whose 401 is the answer that shows the sign-in form.
  queryCache: new QueryCache({ onError: (err, query) => query.queryKey[0] !== SESSION_KEY[0] && sessionEnded(err) }),
  // Nor for signing in, whose 401 is a wrong key.
  mutationCache: new MutationCache({
    onError: (err, _v, _c, m) => m.options.mutationKey?.[0] !== 'sign-in' && sessionEnded(err),
  }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      // A 4xx will not change on retry; a lost connection might.
      retry: (n, err) => n < 2 && !(statusOf(err) && statusOf(err)! < 500),
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider>
        <App />
      </RouterProvider>
    </QueryClientProvider>
  </StrictMode>,
);
