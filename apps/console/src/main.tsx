import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './App.tsx';
import { RouterProvider } from './router.tsx';
import { statusOf } from './api.ts';

const queryClient = new QueryClient({
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
