import { useCallback, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useMembers } from "../../api/directory.ts";

/** Member id → display name; "…" while the directory loads, "Former member" for an id no longer in it. */
export type NameOf = (memberId: string) => string;

export function useMemberNames(): NameOf {
  const { t } = useTranslation();
  const members = useMembers();
  const names = useMemo(() => new Map((members.data ?? []).map((m) => [m.id, m.displayName])), [members.data]);
  const loaded = members.isSuccess;
  return useCallback((id: string) => names.get(id) ?? (loaded ? t("adminContacts.formerMember") : "…"), [names, loaded, t]);
}
