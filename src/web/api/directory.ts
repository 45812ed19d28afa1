import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  MemberListSchema,
  MemberSchema,
  TenantSchema,
  type LineAccountSettings,
  type LinePolicy,
  type Member,
  type Tenant,
} from "../../shared/directory.ts";
import { apiRequest } from "./client.ts";
import { meKey } from "./session.ts";

type Plan = Tenant["plan"];

export const membersKey = ["members"] as const;

export const useMembers = () =>
  useQuery({ queryKey: membersKey, queryFn: async () => (await apiRequest("GET", "/members", { schema: MemberListSchema })).items });

/**
 * Admin changes move the admin's own LINE access too, so /me is refetched after each.
 * `onSaved` is given here rather than to mutate(): a saved setting remounts its form (keyed by
 * the server's values), and mutate()'s callbacks are dropped for unmounted components.
 */
function useDirectoryMutation<A, R>(fn: (args: A) => Promise<R>, onSaved?: (result: R, args: A) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async (result, args) => {
      // A changed member is put into the list at once, so a second click acts on the new state
      // even before the refetch below answers.
      const member = MemberSchema.safeParse(result);
      if (member.success) client.setQueryData<Member[]>(membersKey, (list) => list?.map((m) => (m.id === member.data.id ? member.data : m)));
      onSaved?.(result, args);
      await Promise.all([client.invalidateQueries({ queryKey: meKey }), client.invalidateQueries({ queryKey: membersKey })]);
    },
  });
}

type OnSaved<A, R> = (result: R, args: A) => void;

export const useSetPlan = (onSaved?: OnSaved<Plan, Tenant>) =>
  useDirectoryMutation((plan: Plan) => apiRequest("PUT", "/admin/plan", { body: { plan }, schema: TenantSchema }), onSaved);

export const useSetLinePolicy = (onSaved?: OnSaved<LinePolicy, Tenant>) =>
  useDirectoryMutation((policy: LinePolicy) => apiRequest("PUT", "/admin/line-policy", { body: policy, schema: TenantSchema }), onSaved);

export const useSetLineAccount = (onSaved?: OnSaved<LineAccountSettings, Tenant>) =>
  useDirectoryMutation((settings: LineAccountSettings) => apiRequest("PUT", "/admin/line-account", { body: settings, schema: TenantSchema }), onSaved);

export const useSetMemberLineAccess = (onSaved?: OnSaved<{ id: string; allowed: boolean }, Member>) =>
  useDirectoryMutation(
    ({ id, allowed }: { id: string; allowed: boolean }) =>
      apiRequest("PUT", `/admin/members/${encodeURIComponent(id)}/line-access`, { body: { allowed }, schema: MemberSchema }),
    onSaved,
  );

export type ProfileChanges = Partial<Pick<Member, "displayName" | "phone" | "department">>;

export const useUpdateProfile = (onSaved?: OnSaved<{ id: string; changes: ProfileChanges }, Member>) =>
  useDirectoryMutation(
    ({ id, changes }: { id: string; changes: ProfileChanges }) =>
      apiRequest("PATCH", `/members/${encodeURIComponent(id)}`, { body: changes, schema: MemberSchema }),
    onSaved,
  );

export const useUploadPhoto = (onSaved?: OnSaved<{ id: string; file: Blob }, Member>) =>
  useDirectoryMutation(
    ({ id, file }: { id: string; file: Blob }) =>
      apiRequest("PUT", `/members/${encodeURIComponent(id)}/photo`, { body: file, schema: MemberSchema }),
    onSaved,
  );
