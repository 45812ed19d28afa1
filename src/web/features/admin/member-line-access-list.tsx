import { useTranslation } from "react-i18next";
import type { Member } from "../../../shared/directory.ts";
import { useMembers, useSetMemberLineAccess } from "../../api/directory.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

/** Per-member grants for "grant by member"; each switch saves at once, errors stay on its row. */
export function MemberLineAccessList({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const members = useMembers();
  return (
    <div className="member-access" aria-labelledby="member-access-title" role="group">
      <h3 id="member-access-title">{t("admin.membersTitle")}</h3>
      <p className="hint">{active ? t("admin.membersHelp") : t("admin.membersUnsaved")}</p>
      {members.isPending && <Loading />}
      {members.isError && <LoadError error={members.error} onRetry={() => void members.refetch()} />}
      {members.isSuccess && (
        <ul className="member-list">
          {members.data.map((m) => (
            <MemberRow key={m.id} member={m} />
          ))}
        </ul>
      )}
    </div>
  );
}

function MemberRow({ member }: { member: Member }) {
  const { t } = useTranslation();
  const toast = useToast();
  const setAccess = useSetMemberLineAccess((saved) => toast(t("admin.memberSaved", { name: saved.displayName })));
  const errorId = `member-access-error-${member.id}`;
  // While saving, show the requested state so the switch answers the click at once.
  const checked = setAccess.isPending ? setAccess.variables.allowed : member.lineAllowed;

  return (
    <li className="member-row">
      <Avatar name={member.displayName} photoUrl={member.photoUrl} size={32} />
      <span className="member-name">
        <span>{member.displayName}</span>
        {member.department && <span className="hint">{member.department}</span>}
      </span>
      <button
        type="button"
        role="switch"
        className="switch"
        aria-checked={checked}
        aria-label={member.displayName}
        aria-describedby={setAccess.isError ? errorId : undefined}
        disabled={setAccess.isPending}
        onClick={() => setAccess.mutate({ id: member.id, allowed: !member.lineAllowed })}
      >
        <span className="switch-track" aria-hidden="true" />
        <span className="switch-text">{checked ? t("admin.memberAllowed") : t("admin.memberNotAllowed")}</span>
      </button>
      {setAccess.isError && (
        <div className="member-row-error">
          <InlineProblem error={setAccess.error} id={errorId} />
        </div>
      )}
    </li>
  );
}
