import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { InvitationSchema, SendInvitationEmailResult, type Invitation, type Locale } from "../../shared/invitations.ts";
import { apiRequest } from "./client.ts";

export const invitationKey = (locale: Locale) => ["invitation", locale] as const;

/** The copy-link text and the card speak the chosen language; the link itself is the same in all. */
export const useInvitation = (locale: Locale) =>
  useQuery({ queryKey: invitationKey(locale), queryFn: () => apiRequest("GET", `/invitations/me?locale=${locale}`, { schema: InvitationSchema }) });

export function useResetInvitation(locale: Locale) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiRequest("POST", `/invitations/me/reset?locale=${locale}`, { schema: InvitationSchema }),
    onSuccess: async (invitation: Invitation) => {
      client.setQueryData(invitationKey(locale), invitation);
      // Every other language's copy text carried the old link.
      await client.invalidateQueries({ queryKey: ["invitation"], predicate: (q) => q.queryKey[1] !== locale });
    },
  });
}

export const useSendInvitationEmail = () =>
  useMutation({
    mutationFn: (body: { to: string[]; locale: Locale; note?: string }) =>
      apiRequest("POST", "/invitations/me/email", { body, schema: SendInvitationEmailResult }),
  });
