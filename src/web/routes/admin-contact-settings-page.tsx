import { ContactSettingsSection } from "../features/admin/contact-settings-section.tsx";

/** Admin → Contact settings. */
export function AdminContactSettingsPage() {
  return (
    <div className="page">
      <ContactSettingsSection />
    </div>
  );
}
