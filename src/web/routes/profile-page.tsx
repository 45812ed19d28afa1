import { useTranslation } from "react-i18next";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { NotificationSettingsSection } from "../features/notifications/notification-settings.tsx";
import { CarddavSection } from "../features/profile/carddav-section.tsx";
import { PhotoUpload } from "../features/profile/photo-upload.tsx";
import { ProfileForm } from "../features/profile/profile-form.tsx";
import { useSession } from "../features/session/session-context.tsx";
import { SignOutButton } from "./app-shell.tsx";

export function ProfilePage() {
  const { t } = useTranslation();
  const { member } = useSession();
  return (
    <div className="page">
      <h1>{t("profile.title")}</h1>
      <PhotoUpload member={member} />
      {/* Keyed by the saved profile so the form restarts from the server's values after a save. */}
      <ProfileForm key={`${member.displayName}|${member.phone}|${member.department}`} member={member} />
      <NotificationSettingsSection />
      <CarddavSection />
      {/* On phones the left column (language, sign-out) is gone; this page carries them instead. */}
      <section className="card mobile-only" aria-label={t("account.language")}>
        <LanguageSwitch />
        <SignOutButton />
      </section>
    </div>
  );
}
