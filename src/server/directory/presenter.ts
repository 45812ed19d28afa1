import type { Member, Tenant } from "../../shared/directory.ts";
import type { MemberRow, TeamRow, TenantRow } from "./repository.ts";

export function presentMember(m: MemberRow): Member {
  return {
    id: m.id,
    loginId: m.login_id,
    email: m.email,
    displayName: m.display_name,
    phone: m.phone,
    department: m.department,
    role: m.role,
    // The version in the URL lets browsers cache a photo until it changes.
    photoUrl: m.photo_key ? `/api/v1/members/${m.id}/photo?v=${m.updated_at.getTime()}` : null,
    lineAllowed: m.line_allowed,
  };
}

export function presentTenant(t: TenantRow): Tenant {
  return {
    id: t.id,
    name: t.name,
    plan: t.plan,
    contactQuota: t.contact_quota,
    trashRetentionDays: t.trash_retention_days,
    line: {
      policy: t.line_policy,
      grant: t.line_grant,
      grantNewMembers: t.line_grant_new_members,
      filesAllowed: t.line_files_allowed,
    },
    lineAccount: { language: t.line_language, readReceipts: t.line_read_receipts, typing: t.line_typing },
  };
}

export const presentTeam = (t: TeamRow) => ({ id: t.id, name: t.name, memberIds: t.member_ids });
