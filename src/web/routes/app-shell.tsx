import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import type { Me } from "../../shared/directory.ts";
import { isProblem } from "../api/client.ts";
import { useRealtimeEvents } from "../api/events.ts";
import { useUnread } from "../api/notifications.ts";
import { useMe, useSignOut } from "../api/session.ts";
import { Avatar } from "../components/avatar.tsx";
import { Icon } from "../components/icons.tsx";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { LoadError, Loading } from "../components/states.tsx";
import { useMessageAlerts } from "../features/notifications/use-message-alerts.ts";
import { SessionContext } from "../features/session/session-context.tsx";

/**
 * The signed-in frame. One navigation element serves both layouts: a left column from 768px
 * up, bottom tabs below (styles.css); the "Me" tab stands in for the account block on phones.
 */
export function AppShell() {
  const me = useMe();
  const location = useLocation();
  useFocusHeadingOnNavigate(location.pathname);

  if (me.isPending) return <Loading />;
  if (me.isError) {
    if (isProblem(me.error, "unauthenticated")) {
      const next = location.pathname + location.search;
      return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
    }
    return (
      <main className="page">
        <LoadError error={me.error} onRetry={() => void me.refetch()} />
      </main>
    );
  }

  return <SignedInShell me={me.data} />;
}

/** Mounted only with a session, so the real-time stream opens signed in and closes on sign-out. */
function SignedInShell({ me }: { me: Me }) {
  const { t } = useTranslation();
  useRealtimeEvents(useMessageAlerts());
  const unread = useUnread().data?.total ?? 0;
  useUnreadTitle(unread);
  const { member, tenant } = me;
  const isAdmin = member.role === "admin";
  return (
    <SessionContext.Provider value={me}>
      <div className="shell">
        <a className="skip-link" href="#main">
          {t("app.skipToContent")}
        </a>
        <aside className="sidebar">
          <div className="brand">
            <span className="brand-name">{t("app.name")}</span>
            <span className="brand-company">{tenant.name}</span>
          </div>
          <nav className="nav" aria-label={t("nav.label")}>
            <ul>
              <NavItem to="/message" icon="message" label={t("nav.message")} count={unread} />
              <NavItem to="/contacts" icon="contacts" label={t("nav.contacts")} />
              {isAdmin && <NavItem to="/admin" icon="admin" label={t("nav.admin")} />}
              <NavItem to="/me" icon="me" label={t("nav.me")} className="mobile-only" />
            </ul>
          </nav>
          <div className="account desktop-only">
            <NavLink to="/me" className="account-link">
              <Avatar name={member.displayName} photoUrl={member.photoUrl} />
              <span className="account-text">
                <span className="account-name">{member.displayName}</span>
                <span className="account-role">{isAdmin ? t("account.roleAdmin") : t("account.roleMember")}</span>
              </span>
            </NavLink>
            <LanguageSwitch />
            <SignOutButton />
          </div>
        </aside>
        <main id="main" className="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function NavItem({
  to,
  icon,
  label,
  className,
  count = 0,
}: {
  to: string;
  icon: Parameters<typeof Icon>[0]["name"];
  label: string;
  className?: string;
  /** Unread items, shown as a badge on the tab (and read out with the label). */
  count?: number;
}) {
  const { t } = useTranslation();
  return (
    <li className={className}>
      {/* NavLink marks the active item with aria-current="page". */}
      <NavLink to={to} className="nav-link">
        <span className="nav-icon">
          <Icon name={icon} />
          {count > 0 && (
            <span className="nav-badge" aria-hidden="true">
              {count > 99 ? "99+" : count}
            </span>
          )}
        </span>
        <span>{label}</span>
        {count > 0 && <span className="visually-hidden">{t("nav.unread", { count })}</span>}
      </NavLink>
    </li>
  );
}

/** "(3) Tsunagu": the unread count in the tab's title, where a member in another tab still sees it. */
function useUnreadTitle(count: number) {
  const { t } = useTranslation();
  const name = t("app.name");
  useEffect(() => {
    document.title = count > 0 ? `(${count > 99 ? "99+" : count}) ${name}` : name;
  }, [count, name]);
}

export function SignOutButton() {
  const { t } = useTranslation();
  const signOut = useSignOut();
  const navigate = useNavigate();
  return (
    <button
      type="button"
      className="button button-quiet"
      disabled={signOut.isPending}
      onClick={() => signOut.mutate(undefined, { onSettled: () => navigate("/signin", { replace: true }) })}
    >
      {t("account.signOut")}
    </button>
  );
}

/**
 * After a client-side navigation, move focus to the new page's heading so keyboard and
 * screen-reader users land on the new content (not on the first load: the browser handles that).
 */
function useFocusHeadingOnNavigate(pathname: string) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>("main h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }, [pathname]);
}
