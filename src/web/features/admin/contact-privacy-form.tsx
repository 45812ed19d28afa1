import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Contact, PermissionInput } from "../../../shared/contacts.ts";
import { useAdminSetPermission } from "../../api/admin-contacts.ts";
import { isProblem } from "../../api/client.ts";
import { useTeams } from "../../api/contacts.ts";
import { useMembers } from "../../api/directory.ts";
import { InlineProblem, LoadError, Loading, problemText } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

type Access = PermissionInput["accessibleMembers"][number];
const keyOf = (a: Access) => `${a.type}:${a.id}`;
const accessOf = (key: string): Access => {
  const [type, id] = key.split(":") as [Access["type"], string];
  return { type, id };
};

/**
 * The admin's privacy form: everyone, or chosen members and teams, and co-editing. It is inline in
 * the details pane rather than the owner's Share dialog, because it saves through the admin API
 * (which works on contacts the admin cannot see as a member).
 */
export function ContactPrivacyForm({ contact }: { contact: Contact }) {
  const { t } = useTranslation();
  const toast = useToast();
  const titleId = useId();
  const members = useMembers();
  const teams = useTeams();
  const save = useAdminSetPermission(contact.contactId);
  const [range, setRange] = useState(contact.permission.accessibleRange);
  const [coEditing, setCoEditing] = useState(contact.permission.isCoEditing);
  const [chosen, setChosen] = useState(() => new Set(contact.permission.accessibleMembers.map(keyOf)));
  const toggle = (a: Access) =>
    setChosen((old) => {
      const next = new Set(old);
      if (!next.delete(keyOf(a))) next.add(keyOf(a));
      return next;
    });

  function submit(e: FormEvent) {
    e.preventDefault();
    const accessibleMembers = range === "MEMBER" ? [...chosen].map(accessOf) : [];
    save.mutateAsync({ accessibleRange: range, isCoEditing: coEditing, accessibleMembers }).then(
      () => toast(t("adminContacts.privacySaved")),
      () => {},
    );
  }

  // The owner always sees the contact, so they are not a choice.
  const others = members.data?.filter((m) => m.id !== contact.permission.ownerId) ?? [];
  return (
    <form className="admin-contact-form" aria-labelledby={titleId} onSubmit={submit}>
      <h3 id={titleId}>{t("adminContacts.privacyTitle")}</h3>
      <fieldset className="choices">
        <legend className="visually-hidden">{t("adminContacts.privacyTitle")}</legend>
        <label className="choice">
          <input type="radio" name={`range-${contact.contactId}`} checked={range === "ALL"} onChange={() => setRange("ALL")} />
          {t("adminContacts.privacyAllLong")}
        </label>
        <label className="choice">
          <input type="radio" name={`range-${contact.contactId}`} checked={range === "MEMBER"} onChange={() => setRange("MEMBER")} />
          {t("adminContacts.privacyMembersLong")}
        </label>
      </fieldset>
      {range === "MEMBER" &&
        (members.isPending || teams.isPending ? (
          <Loading />
        ) : members.isError || teams.isError ? (
          <LoadError error={members.error ?? teams.error} onRetry={() => void Promise.all([members.refetch(), teams.refetch()])} />
        ) : (
          <div className="nested admin-share-choices">
            <fieldset className="choices">
              <legend>{t("adminContacts.members")}</legend>
              {others.map((m) => (
                <label className="choice" key={m.id}>
                  <input type="checkbox" checked={chosen.has(`MEMBER:${m.id}`)} onChange={() => toggle({ type: "MEMBER", id: m.id })} />
                  {m.displayName}
                </label>
              ))}
            </fieldset>
            {teams.data.length > 0 && (
              <fieldset className="choices">
                <legend>{t("adminContacts.teams")}</legend>
                {teams.data.map((team) => (
                  <label className="choice" key={team.id}>
                    <input type="checkbox" checked={chosen.has(`TEAM:${team.id}`)} onChange={() => toggle({ type: "TEAM", id: team.id })} />
                    {t("adminContacts.teamName", { name: team.name, count: team.memberIds.length })}
                  </label>
                ))}
              </fieldset>
            )}
          </div>
        ))}
      <label className="choice">
        <input type="checkbox" checked={coEditing} onChange={(e) => setCoEditing(e.target.checked)} />
        {t("adminContacts.coEditing")}
      </label>
      {isProblem(save.error, "member_is_chatting") ? (
        <div className="inline-problem" role="alert">
          <strong>{t("adminContacts.chattingRefused")}</strong> {problemText(save.error)}
        </div>
      ) : (
        <InlineProblem error={save.error} />
      )}
      <button type="submit" className="button button-primary" disabled={save.isPending} aria-busy={save.isPending}>
        {save.isPending ? t("common.saving") : t("adminContacts.savePrivacy")}
      </button>
    </form>
  );
}
