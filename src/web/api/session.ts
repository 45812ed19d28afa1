import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { MeSchema, type Me } from "../../shared/directory.ts";
import { apiRequest, setCsrfToken } from "./client.ts";

export const meKey = ["me"] as const;

async function fetchMe(): Promise<Me> {
  const me = await apiRequest("GET", "/me", { schema: MeSchema });
  setCsrfToken(me.csrfToken);
  return me;
}

/** The signed-in member; fails with an `unauthenticated` problem when there is no session. */
export const useMe = () => useQuery({ queryKey: meKey, queryFn: fetchMe });

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { login: string; password: string }) => apiRequest("POST", "/session", { body, schema: MeSchema }),
    onSuccess: (me) => {
      setCsrfToken(me.csrfToken);
      client.setQueryData(meKey, me);
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiRequest("DELETE", "/session"),
    onSettled: () => {
      setCsrfToken("");
      // Nothing of the previous member may linger in the cache for the next one.
      client.clear();
    },
  });
}
