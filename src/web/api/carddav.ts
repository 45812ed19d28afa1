import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AppPasswordListSchema, CreatedAppPasswordSchema, type AppPasswordList } from "../../shared/carddav.ts";
import { apiRequest } from "./client.ts";

export const appPasswordsKey = ["app-passwords"] as const;

/** The CardDAV set-up: server URL, user name, and the app passwords (without secrets). */
export const useAppPasswords = () =>
  useQuery({ queryKey: appPasswordsKey, queryFn: () => apiRequest("GET", "/me/app-passwords", { schema: AppPasswordListSchema }) });

export function useCreateAppPassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (label: string) => apiRequest("POST", "/me/app-passwords", { body: { label }, schema: CreatedAppPasswordSchema }),
    onSuccess: async (created) => {
      client.setQueryData<AppPasswordList>(appPasswordsKey, (list) => list && { ...list, items: [...list.items, created.appPassword] });
      await client.invalidateQueries({ queryKey: appPasswordsKey });
    },
  });
}

export function useRevokeAppPassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiRequest("DELETE", `/me/app-passwords/${encodeURIComponent(id)}`),
    onSuccess: async (_, id) => {
      client.setQueryData<AppPasswordList>(appPasswordsKey, (list) => list && { ...list, items: list.items.filter((i) => i.id !== id) });
      await client.invalidateQueries({ queryKey: appPasswordsKey });
    },
  });
}
