import { useId, useRef, useState, type ChangeEvent } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { LIST_MAX, type ContactImport } from "../../../shared/contacts.ts";
import { useContactImport, useImportVcards, vcardExportUrl } from "../../api/contacts.ts";
import { InlineProblem } from "../../components/states.tsx";
import { fieldProblemSentence } from "../../i18n/problem-text.ts";
import { fieldLabel } from "./contact-form.tsx";

/**
 * vCard 4.0 in and out of the contact list: "Import vCard", "Export all", and, once contacts are
 * ticked, "Export selected". Exports are links the server answers as attachments, so the
 * browser downloads them as it would any file.
 */
export function ContactInteropBar({ selectedIds, onClearSelection }: { selectedIds: string[]; onClearSelection: () => void }) {
  const { t } = useTranslation();
  const tooMany = selectedIds.length > LIST_MAX;
  const tooManyId = useId();
  return (
    <div className="contact-interop" role="group" aria-label={t("contactsInterop.toolsLabel")}>
      <div className="contact-interop-row">
        <a className="button button-small" href={vcardExportUrl()} download="contacts.vcf">
          {t("contactsInterop.exportAll")}
        </a>
        {/* Last in the row: its report wraps below both buttons. */}
        <ImportVcards />
      </div>
      {selectedIds.length > 0 && (
        <div className="contact-interop-row contact-selection">
          <span className="contact-selection-count">{t("contactsInterop.selectedCount", { count: selectedIds.length })}</span>
          {tooMany ? (
            <button type="button" className="button button-small button-primary" disabled aria-describedby={tooManyId}>
              {t("contactsInterop.exportSelected")}
            </button>
          ) : (
            <a className="button button-small button-primary" href={vcardExportUrl(selectedIds)} download="contacts.vcf">
              {t("contactsInterop.exportSelected")}
            </a>
          )}
          <button type="button" className="button button-small button-quiet" onClick={onClearSelection}>
            {t("contactsInterop.clearSelection")}
          </button>
          {tooMany && (
            <p className="hint" id={tooManyId}>
              {t("contactsInterop.tooManySelected", { max: LIST_MAX })}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * The import this browser started last, kept until its report is dismissed: the import runs on
 * the server, so leaving the contacts screen (or reloading) and coming back finds it again.
 */
const IMPORT_KEY = "tsunagu.contactImport";
interface TrackedImport {
  importId: string;
  fileName: string;
}

function loadTracked(): TrackedImport | null {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(IMPORT_KEY) ?? "null");
    const s = saved as Partial<TrackedImport> | null;
    return typeof s?.importId === "string" && typeof s.fileName === "string" ? { importId: s.importId, fileName: s.fileName } : null;
  } catch {
    return null;
  }
}

function saveTracked(tracked: TrackedImport | null) {
  if (tracked) localStorage.setItem(IMPORT_KEY, JSON.stringify(tracked));
  else localStorage.removeItem(IMPORT_KEY);
}

/**
 * A file picker for .vcf files. The server imports in the background; meanwhile a progress bar
 * shows the cards done of all, and at the end the report says how many became contacts and why
 * the others did not — or, when the import stopped for good, which cards it never reached.
 */
function ImportVcards() {
  const { t } = useTranslation();
  const startImport = useImportVcards();
  const input = useRef<HTMLInputElement>(null);
  const [tracked, setTracked] = useState<TrackedImport | null>(loadTracked);
  const progress = useContactImport(tracked?.importId ?? null);
  const running = startImport.isPending || progress.data?.state === "running";

  function track(next: TrackedImport | null) {
    saveTracked(next);
    setTracked(next);
  }

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    // Cleared so that choosing the same file again (after fixing it) still fires a change.
    e.target.value = "";
    if (!file) return;
    startImport.reset();
    track(null);
    try {
      const started = await startImport.mutateAsync(file);
      track({ importId: started.importId, fileName: file.name });
    } catch {
      // The refusal (not a vCard file, too large) shows through startImport.error below.
    }
  }

  return (
    <>
      <button type="button" className="button button-small" disabled={running} onClick={() => input.current?.click()}>
        {running ? t("contactsInterop.importing") : t("contactsInterop.importButton")}
      </button>
      <input ref={input} type="file" accept=".vcf,text/vcard,text/x-vcard" hidden onChange={(e) => void choose(e)} />
      <div className="contact-import-status" aria-live="polite">
        <InlineProblem error={startImport.error ?? progress.error} />
        {tracked && progress.data && <ImportReport fileName={tracked.fileName} progress={progress.data} onDismiss={() => track(null)} />}
      </div>
    </>
  );
}

/** A file of 10,000 broken cards must not become a page of 10,000 items; the first ones show the pattern. */
const SKIPPED_SHOWN = 100;

/** Why a card was skipped, by field label, in the member's language (older reports: a general sentence). */
function skipReasons(t: TFunction, s: ContactImport["skipped"][number]): string {
  if (!s.problems?.length) return t("fieldProblems.fallback");
  return s.problems
    .map((p) => {
      const label = fieldLabel(t, p.path);
      return label ? `${label}: ${fieldProblemSentence(p)}` : fieldProblemSentence(p);
    })
    .join(" ");
}

function ImportReport({ fileName, progress, onDismiss }: { fileName: string; progress: ContactImport; onDismiss: () => void }) {
  const { t } = useTranslation();
  const titleId = useId();
  const running = progress.state === "running";
  const cardLabel = (s: ContactImport["skipped"][number]) =>
    s.name ? t("contactsInterop.cardNamed", { n: s.index + 1, name: s.name }) : t("contactsInterop.card", { n: s.index + 1 });
  return (
    <section className="card import-report" aria-labelledby={titleId}>
      <h2 id={titleId}>{t("contactsInterop.importTitle", { file: fileName })}</h2>
      {running ? (
        <>
          <progress className="import-progress" max={progress.total} value={progress.done} aria-label={t("contactsInterop.progressLabel")} />
          <p>{t("contactsInterop.progress", { done: progress.done, total: progress.total })}</p>
          <p className="hint">{t("contactsInterop.leaveHint")}</p>
        </>
      ) : (
        <>
          {progress.state === "failed" && (
            <p role="alert" className="inline-problem">
              {t("contactsInterop.failed", { next: progress.done + 1, total: progress.total, left: progress.total - progress.done })}
            </p>
          )}
          <p>
            {t("contactsInterop.importedCount", { count: progress.imported })}
            {" · "}
            {t("contactsInterop.skippedCount", { count: progress.failed })}
          </p>
          {progress.skipped.length > 0 && (
            <ul className="import-skipped" aria-label={t("contactsInterop.skippedLabel")}>
              {progress.skipped.slice(0, SKIPPED_SHOWN).map((s) => (
                <li key={s.index}>
                  <strong>{cardLabel(s)}</strong>: {skipReasons(t, s)}
                </li>
              ))}
            </ul>
          )}
          {progress.skipped.length > SKIPPED_SHOWN && <p>{t("contactsInterop.skippedMore", { count: progress.skipped.length - SKIPPED_SHOWN })}</p>}
          <button type="button" className="button button-small" onClick={onDismiss}>
            {t("common.dismiss")}
          </button>
        </>
      )}
    </section>
  );
}
