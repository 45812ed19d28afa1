import { useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Contact } from "../../../shared/contacts.ts";
import { useSetPermission, useTeams } from "../../api/contacts.ts";
import { useMembers } from "../../api/directory.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

type Access = Contact["permission"]["accessibleMembers"][number];
const keyOf = (a: Access) => `${a.type}:${a.id}`;

/**
 * The owner's "Share": everyone, or chosen members and teams, and whether they may co-edit.
 * A native modal <dialog> traps focus and closes on Escape; narrowing that would hide the
 * contact from a member who is chatting with its LINE user is refused with the server's detail.
 */
export function ShareDialog({ contact }: { contact: Contact }) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [openCount, setOpenCount] = useState(0);
  const open = () => {
    // A fresh form each time, starting from the saved permission.
    setOpenCount((n) => n + 1);
    dialog.current?.showModal();
  };
  return (
    <>
      <button type="button" className="button" onClick={open}>
        {t("contacts.share")}
      </button>
      <dialog ref={dialog} className="dialog share-dialog" aria-labelledby={titleId}>
        <h2 id={titleId}>{t("contacts.shareTitle")}</h2>
        {openCount > 0 && <ShareForm key={openCount} contact={contact} onClose={() => dialog.current?.close()} />}
      </dialog>
    </>
  );
}

function ShareForm({ contact, onClose }: { contact: Contact; onClose: () => void }) {
  const { t } = useTranslation();
  const toast = useToast();
  const members = useMembers();
  const teams = useTeams();
  const save = useSetPermission(contact.contactId);
  const [range, setRange] = useState(contact.permission.accessibleRange);
  const [coEditing, setCoEditing] = useState(contact.permission.isCoEditing);
  const [chosen, setChosen] = useState(() => new Set(contact.permission.accessibleMembers.map(keyOf)));
  const toggle = (a: Access) =>
    setChosen((old) => {
      const next = new Set(old);
      if (!next.delete(keyOf(a))) next.add(keyOf(a));
      return next;
    });
  const submit = () => {
    const accessibleMembers: Access[] =
      range === "MEMBER"
        ? [...chosen].map((k) => {
            const [type, id] = k.split(":") as [Access["type"], string];
            return { type, id };
          })
        : [];
    save.mutateAsync({ accessibleRange: range, isCoEditing: coEditing, accessibleMembers }).then(() => {
      toast(t("contacts.shareSaved"));
      onClose();
    }, () => {});
  };
  const others = members.data?.filter((m) => m.id !== contact.permission.ownerId) ?? [];
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <fieldset className="choices">
        <legend>{t("contacts.privacy")}</legend>
        <label className="choice">
          <input type="radio" name="range" checked={range === "ALL"} onChange={() => setRange("ALL")} />
          {t("contacts.privacyAll")}
        </label>
        <label className="choice">
          <input type="radio" name="range" checked={range === "MEMBER"} onChange={() => setRange("MEMBER")} />
          {t("contacts.privacyMembers")}
        </label>
      </fieldset>
      {range === "MEMBER" &&
        (members.isPending || teams.isPending ? (
          <Loading />
        ) : members.isError || teams.isError ? (
          <LoadError error={members.error ?? teams.error} />
        ) : (
          <div className="share-choices">
            <fieldset className="choices">
              <legend>{t("contacts.shareMembers")}</legend>
              {others.map((m) => (
                <label className="choice" key={m.id}>
                  <input type="checkbox" checked={chosen.has(`MEMBER:${m.id}`)} onChange={() => toggle({ type: "MEMBER", id: m.id })} />
                  {m.displayName}
                </label>
              ))}
            </fieldset>
            {teams.data.length > 0 && (
              <fieldset className="choices">
                <legend>{t("contacts.shareTeams")}</legend>
                {teams.data.map((team) => (
                  <label className="choice" key={team.id}>
                    <input type="checkbox" checked={chosen.has(`TEAM:${team.id}`)} onChange={() => toggle({ type: "TEAM", id: team.id })} />
                    {team.name}
                  </label>
                ))}
              </fieldset>
            )}
          </div>
        ))}
      <label className="choice">
        <input type="checkbox" checked={coEditing} onChange={(e) => setCoEditing(e.target.checked)} />
        {t("contacts.coEditing")}
      </label>
      <InlineProblem error={save.error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          {t("contacts.cancel")}
        </button>
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {save.isPending ? t("common.saving") : t("common.save")}
        </button>
      </div>
    </form>
  );
}
