import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import {
  LineChannelListSchema,
  LineChannelSchema,
  LinePublicUrlSchema,
  VerifyLineChannelSchema,
  WebhookEventListSchema,
  WebhookEventSchema,
  type CreateLineChannelBody,
  type UpdateLineChannelBody,
} from "../../shared/line.ts";
import { apiRequest } from "./client.ts";

/** The administrator's LINE channel screen: channels, Verify, and the parked (failed) webhook events. */
export type NewLineChannel = z.input<typeof CreateLineChannelBody>;
export type LineChannelChanges = z.input<typeof UpdateLineChannelBody>;
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const lineAdminKeys = {
  channels: ["admin-line", "channels"] as const,
  failedEvents: ["admin-line", "events", "failed"] as const,
  publicUrl: ["admin-line", "public-url"] as const,
};

/** Fixed for the server's lifetime (configuration), so fetched once per page visit. */
export const useLinePublicUrl = () =>
  useQuery({
    queryKey: lineAdminKeys.publicUrl,
    queryFn: () => apiRequest("GET", "/admin/line/public-url", { schema: LinePublicUrlSchema }),
    staleTime: Number.POSITIVE_INFINITY,
  });

const channelPath = (id: string) => `/admin/line/channels/${encodeURIComponent(id)}`;

export const useLineChannels = () =>
  useQuery({
    queryKey: lineAdminKeys.channels,
    queryFn: async () => (await apiRequest("GET", "/admin/line/channels", { schema: LineChannelListSchema })).items,
  });

export function useCreateLineChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewLineChannel) => apiRequest("POST", "/admin/line/channels", { body, schema: LineChannelSchema }),
    onSuccess: () => qc.invalidateQueries({ queryKey: lineAdminKeys.channels }),
  });
}

export function useUpdateLineChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: LineChannelChanges }) =>
      apiRequest("PATCH", channelPath(id), { body: changes, schema: LineChannelSchema }),
    onSuccess: () => qc.invalidateQueries({ queryKey: lineAdminKeys.channels }),
  });
}

/** Verify records the bot's basic ID and name on the channel, so the list is refreshed either way. */
export function useVerifyLineChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiRequest("POST", `${channelPath(id)}/verify`, { schema: VerifyLineChannelSchema }),
    onSettled: () => qc.invalidateQueries({ queryKey: lineAdminKeys.channels }),
  });
}

export const useFailedLineEvents = () =>
  useQuery({
    queryKey: lineAdminKeys.failedEvents,
    queryFn: async () => (await apiRequest("GET", "/admin/line/events?state=failed", { schema: WebhookEventListSchema })).items,
  });

export function useRetryLineEvent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest("POST", `/admin/line/events/${id}/retry`, { schema: WebhookEventSchema }),
    // A 409 means someone else already retried it: refreshing shows the list as it is now.
    onSettled: () => qc.invalidateQueries({ queryKey: lineAdminKeys.failedEvents }),
  });
}
