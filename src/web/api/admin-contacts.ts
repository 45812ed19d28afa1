import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import {
  AuditListSchema,
  ContactListSchema,
  ContactSchema,
  ContactSettingsSchema,
  type AdminContactListQuery,
  type ContactSettingsBody,
  type PermissionInput,
} from "../../shared/contacts.ts";
import { apiRequest } from "./client.ts";
import { contactKeys } from "./contacts.ts";

/** The administrator's contact screens: every contact of the company, its owner and privacy, the audit log. */
export type AdminContactFilter = z.infer<typeof AdminContactListQuery>["filter"];
export type ContactSettings = z.infer<typeof ContactSettingsSchema>;
export type ContactSettingsChanges = z.infer<typeof ContactSettingsBody>;

/** What the audit log is searched by; empty strings mean "any". `from`/`to` are ISO instants. */
export interface AuditFilter {
  q: string;
  action: string;
  target: string;
  from: string;
  to: string;
}

export const adminContactKeys = {
  all: ["admin-contacts"] as const,
  list: (filter: AdminContactFilter, q: string) => ["admin-contacts", "list", filter, q] as const,
  contact: (id: string) => ["admin-contacts", "contact", id] as const,
  settings: ["admin-contacts", "settings"] as const,
  audit: (filter: AuditFilter) => ["admin-audit", filter] as const,
  auditAll: ["admin-audit"] as const,
};

const PAGE = 30;
const AUDIT_PAGE = 50;
const adminContactPath = (id: string) => `/admin/contacts/${encodeURIComponent(id)}`;

export function useAdminContacts(filter: AdminContactFilter, q: string) {
  return useInfiniteQuery({
    queryKey: adminContactKeys.list(filter, q),
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ filter, limit: String(PAGE) });
      if (q) params.set("q", q);
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest("GET", `/admin/contacts?${params}`, { schema: ContactListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/**
 * One contact for the details pane. Each fetch is an audited view on the server, so it is not
 * refetched on window focus (that would fill the contact's history with the admin's glances).
 */
export const useAdminContact = (id: string) =>
  useQuery({
    queryKey: adminContactKeys.contact(id),
    queryFn: () => apiRequest("GET", adminContactPath(id), { schema: ContactSchema }),
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });

/** The audit log's query string, shared by the list and the CSV download so both use the same filters. */
export function auditParams(filter: AuditFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ["q", "action", "target", "from", "to"] as const) {
    if (filter[key]) params.set(key, filter[key]);
  }
  return params;
}

export const auditCsvUrl = (filter: AuditFilter) => {
  const params = auditParams(filter).toString();
  return `/api/v1/admin/audit.csv${params ? `?${params}` : ""}`;
};

export function useAuditLog(filter: AuditFilter, pageSize = AUDIT_PAGE) {
  return useInfiniteQuery({
    queryKey: [...adminContactKeys.audit(filter), pageSize],
    queryFn: ({ pageParam }) => {
      const params = auditParams(filter);
      params.set("limit", String(pageSize));
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest("GET", `/admin/audit?${params}`, { schema: AuditListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/**
 * An owner or privacy change moves the contact between the admin's lists and the members' lists,
 * and adds to the audit log: the saved contact goes into the details at once, the rest refetch.
 */
function useAdminContactMutation<A>(fn: (args: A) => Promise<z.output<typeof ContactSchema>>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (saved) => {
      client.setQueryData(adminContactKeys.contact(saved.contactId), saved);
      return Promise.all([
        client.invalidateQueries({ queryKey: adminContactKeys.all, predicate: (q) => q.queryKey[1] === "list" }),
        client.invalidateQueries({ queryKey: adminContactKeys.auditAll }),
        client.invalidateQueries({ queryKey: contactKeys.all }),
      ]);
    },
  });
}

export const useChangeOwner = (id: string) =>
  useAdminContactMutation((ownerId: string) => apiRequest("PUT", `${adminContactPath(id)}/owner`, { body: { ownerId }, schema: ContactSchema }));

export const useAdminSetPermission = (id: string) =>
  useAdminContactMutation((permission: PermissionInput) =>
    apiRequest("PUT", `${adminContactPath(id)}/permission`, { body: permission, schema: ContactSchema }),
  );

export const useContactSettings = () =>
  useQuery({ queryKey: adminContactKeys.settings, queryFn: () => apiRequest("GET", "/admin/contact-settings", { schema: ContactSettingsSchema }) });

export function useSaveContactSettings(onSaved: (saved: ContactSettings) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: ContactSettingsChanges) => apiRequest("PUT", "/admin/contact-settings", { body: changes, schema: ContactSettingsSchema }),
    onSuccess: (saved) => {
      client.setQueryData(adminContactKeys.settings, saved);
      onSaved(saved);
      return client.invalidateQueries({ queryKey: adminContactKeys.auditAll });
    },
  });
}
