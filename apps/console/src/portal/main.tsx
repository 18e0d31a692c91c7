import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '../styles.css';
import './portal.css';
import { statusOf } from '../api.ts';
import { SESSION_KEY, takeToken } from './client.ts';
import { RouterProvider } from './router.tsx';
import { App } from './App.tsx';
import { reportHeight } from './embed.ts';

// Taken once, before anything renders: the token is single use.
const token = takeToken();

// A 401 anywhere means the session ended (revoked, expired): asking for it again shows so.
const ended = (err: unknown) => {
  if (statusOf(err) === 401) void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
};
const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (err, query) => query.queryKey[0] !== SESSION_KEY[0] && ended(err) }),
  mutationCache: new MutationCache({ onError: (err) => ended(err) }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      retry: (n, err) => n < 2 && !(statusOf(err) && statusOf(err)! < 500),
    },
  },
});

reportHeight();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider>
        <App token={token} />
      </RouterProvider>
    </QueryClientProvider>
  </StrictMode>,
);
