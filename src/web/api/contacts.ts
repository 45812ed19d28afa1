import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  AddLineContactResult,
  ContactListSchema,
  ContactImportSchema,
  ContactSchema,
  type Contact,
  type ContactFields,
  type CreateContactInput,
  type PermissionInput,
} from "../../shared/contacts.ts";
import { TeamListSchema } from "../../shared/directory.ts";
import { apiRequest } from "./client.ts";

export type ContactTab = "all" | "line";
export type ContactSort = "name" | "created" | "modified";
export interface ContactFilter {
  tab: ContactTab;
  q: string;
  tag: string;
  sort: ContactSort;
}

/** Query keys in one place, so every change refreshes exactly the lists and details it touches. */
export const contactKeys = {
  all: ["contacts"] as const,
  lists: () => ["contacts", "list"] as const,
  list: (filter: ContactFilter) => ["contacts", "list", filter] as const,
  trash: () => ["contacts", "trash"] as const,
  contact: (id: string) => ["contacts", "contact", id] as const,
  import: (id: string) => ["contacts", "import", id] as const,
};

const PAGE = 30;
const contactPath = (id: string) => `/contacts/${encodeURIComponent(id)}`;

export function useContacts(filter: ContactFilter) {
  return useInfiniteQuery({
    queryKey: contactKeys.list(filter),
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ tab: filter.tab, sort: filter.sort, limit: String(PAGE) });
      if (filter.q) params.set("q", filter.q);
      if (filter.tag) params.set("tag", filter.tag);
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest("GET", `/contacts?${params}`, { schema: ContactListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useTrash() {
  return useInfiniteQuery({
    queryKey: contactKeys.trash(),
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ sort: "modified", limit: String(PAGE) });
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest("GET", `/contacts/trash?${params}`, { schema: ContactListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export const useContact = (id: string) =>
  useQuery({ queryKey: contactKeys.contact(id), queryFn: () => apiRequest("GET", contactPath(id), { schema: ContactSchema }) });

export const useTeams = () =>
  useQuery({ queryKey: ["teams"], queryFn: async () => (await apiRequest("GET", "/teams", { schema: TeamListSchema })).items });

/** Every contact write can move a contact between lists, the Trash and its details: refresh them all. */
function useContactMutation<A, R>(fn: (args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (result) => {
      const saved = ContactSchema.safeParse(result);
      if (saved.success) client.setQueryData<Contact>(contactKeys.contact(saved.data.contactId), saved.data);
      return client.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
}

/** If-Match carries the version the form was filled from, so a concurrent change answers 412. */
export const useUpdateContact = (id: string) =>
  useContactMutation(({ version, fields }: { version: number; fields: ContactFields }) =>
    apiRequest("PATCH", contactPath(id), { body: fields, headers: { "if-match": `"${version}"` }, schema: ContactSchema }),
  );

export const useSetPermission = (id: string) =>
  useContactMutation((permission: PermissionInput) => apiRequest("PUT", `${contactPath(id)}/permission`, { body: permission, schema: ContactSchema }));

export const useDeleteContact = () => useContactMutation((id: string) => apiRequest("DELETE", contactPath(id)));

export const useRestoreContact = () => useContactMutation((id: string) => apiRequest("POST", `${contactPath(id)}/restore`, { schema: ContactSchema }));

export const usePermanentDelete = () => useContactMutation((id: string) => apiRequest("DELETE", `${contactPath(id)}/permanent`));

/** "Add LINE Contact" in a room: 201 created, or 200 with `created: false` when I already see one. */
export const useAddLineContact = (roomId: string) =>
  useContactMutation(() => apiRequest("POST", `/rooms/${encodeURIComponent(roomId)}/contact`, { schema: AddLineContactResult }));

/** A hand-added contact's photo (a LINE contact's follows the LINE profile and is refused). */
export const useUploadContactPhoto = (id: string) =>
  useContactMutation((file: File) => apiRequest("PUT", `${contactPath(id)}/photo`, { body: file, schema: ContactSchema }));

/** A contact added by hand (the server refuses one without an e-mail or a phone). */
export const useCreateContact = () => useContactMutation((body: CreateContactInput) => apiRequest("POST", "/contacts", { body, schema: ContactSchema }));

/**
 * vCards as contacts I own, imported in the background: the answer is the import to follow.
 * Sent as text/vcard whatever type the browser guessed for the file (often none, or text/x-vcard).
 */
export const useImportVcards = () =>
  useMutation({
    mutationFn: (file: Blob) => apiRequest("POST", "/contacts/import", { body: new Blob([file], { type: "text/vcard" }), schema: ContactImportSchema }),
  });

/**
 * A running or finished import. The `contact_import.progress` event refetches it after each
 * chunk (api/events.ts), so it needs no polling.
 */
export const useContactImport = (id: string | null) =>
  useQuery({
    queryKey: contactKeys.import(id ?? ""),
    queryFn: () => apiRequest("GET", `/contacts/imports/${encodeURIComponent(id!)}`, { schema: ContactImportSchema }),
    enabled: id !== null,
  });

/**
 * Download addresses for `<a download>`: the server sends them as attachments (vCard 4.0), so
 * they are real downloads. No ids: every contact I see.
 */
export const vcardDownloadUrl = (id: string) => `/api/v1${contactPath(id)}/vcard`;
export function vcardExportUrl(ids?: readonly string[]) {
  return ids?.length ? `/api/v1/contacts/export?${new URLSearchParams({ ids: ids.join(",") })}` : "/api/v1/contacts/export";
}
