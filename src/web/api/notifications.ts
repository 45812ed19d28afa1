import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { NotificationSettingsSchema, UnreadSummarySchema, VapidKeySchema, type NotificationSettings, type PushSubscriptionInput } from "../../shared/notifications.ts";
import { apiRequest } from "./client.ts";

export const notificationKeys = {
  unread: ["rooms", "unread"] as const,
  settings: ["notifications", "settings"] as const,
};

/** Unread messages across my rooms; the real-time stream refetches it (api/events.ts). */
export const useUnread = () => useQuery({ queryKey: notificationKeys.unread, queryFn: () => apiRequest("GET", "/me/unread", { schema: UnreadSummarySchema }) });

export const useNotificationSettings = () =>
  useQuery({ queryKey: notificationKeys.settings, queryFn: () => apiRequest("GET", "/me/notifications", { schema: NotificationSettingsSchema }) });

export function useSaveNotificationSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NotificationSettings) => apiRequest("PUT", "/me/notifications", { body, schema: NotificationSettingsSchema }),
    onSuccess: (saved) => client.setQueryData(notificationKeys.settings, saved),
  });
}

export const fetchVapidKey = async () => (await apiRequest("GET", "/push/key", { schema: VapidKeySchema })).publicKey;

export const registerPushSubscription = (body: PushSubscriptionInput) => apiRequest("PUT", "/push/subscription", { body });
