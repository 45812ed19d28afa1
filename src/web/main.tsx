import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { ApiProblem, isProblem } from "./api/client.ts";
import { meKey } from "./api/session.ts";
import { ToastProvider } from "./components/toast.tsx";
import { serviceWorker } from "./features/notifications/service-worker.ts";
import "./i18n/i18n.ts";
import { createAppRouter } from "./routes/router.tsx";
import "./styles.css";

// A session that expires mid-visit makes some call answer 401; refetching /me then lets the
// shell send the member to sign-in (/me itself is left alone, or its own 401 would loop).
function onUnauthenticated(err: unknown, key?: readonly unknown[]) {
  if (isProblem(err, "unauthenticated") && key?.[0] !== meKey[0]) void queryClient.invalidateQueries({ queryKey: meKey });
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (err, query) => onUnauthenticated(err, query.queryKey) }),
  mutationCache: new MutationCache({ onError: (err) => onUnauthenticated(err, []) }),
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; network and 5xx failures get two more tries.
      retry: (count, err) => !(err instanceof ApiProblem && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

const router = createAppRouter();

// Installable app and offline page from the first visit, signed in or not (public/sw.js).
void serviceWorker();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
