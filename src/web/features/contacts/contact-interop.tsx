import { useId, useRef, useState, type ChangeEvent } from "react";
import { useTranslation } from "react-i18next";
import { LIST_MAX } from "../../../shared/contacts.ts";
import { useImportVcards, vcardExportUrl } from "../../api/contacts.ts";
import { InlineProblem } from "../../components/states.tsx";

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

interface ImportReport {
  fileName: string;
  imported: number;
  skipped: { card: string; errors: string[] }[];
}

/** A file picker for .vcf files; the report says how many cards became contacts and why the others did not. */
function ImportVcards() {
  const { t } = useTranslation();
  const importCards = useImportVcards();
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const [report, setReport] = useState<ImportReport | null>(null);

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    // Cleared so that choosing the same file again (after fixing it) still fires a change.
    e.target.value = "";
    if (!file) return;
    importCards.reset();
    setReport(null);
    const names = cardNames(await file.text());
    try {
      const { results } = await importCards.mutateAsync(file);
      setReport({
        fileName: file.name,
        imported: results.filter((r) => r.ok).length,
        skipped: results
          .filter((r) => !r.ok)
          .map((r) => ({
            card: names[r.index] ? t("contactsInterop.cardNamed", { n: r.index + 1, name: names[r.index] }) : t("contactsInterop.card", { n: r.index + 1 }),
            errors: r.errors ?? [],
          })),
      });
    } catch {
      // The refusal (not a vCard file, too large) shows through importCards.error below.
    }
  }

  return (
    <>
      <button type="button" className="button button-small" disabled={importCards.isPending} onClick={() => input.current?.click()}>
        {importCards.isPending ? t("contactsInterop.importing") : t("contactsInterop.importButton")}
      </button>
      <input ref={input} type="file" accept=".vcf,text/vcard,text/x-vcard" hidden onChange={(e) => void choose(e)} />
      <div className="contact-import-status" aria-live="polite">
        <InlineProblem error={importCards.error} />
        {report && (
          <section className="card import-report" aria-labelledby={titleId}>
            <h2 id={titleId}>{t("contactsInterop.importTitle", { file: report.fileName })}</h2>
            <p>
              {t("contactsInterop.importedCount", { count: report.imported })}
              {" · "}
              {t("contactsInterop.skippedCount", { count: report.skipped.length })}
            </p>
            {report.skipped.length > 0 && (
              <ul className="import-skipped" aria-label={t("contactsInterop.skippedLabel")}>
                {report.skipped.map((s) => (
                  <li key={s.card}>
                    <strong>{s.card}</strong>: {s.errors.join("; ")}
                  </li>
                ))}
              </ul>
            )}
            <button type="button" className="button button-small" onClick={() => setReport(null)}>
              {t("common.dismiss")}
            </button>
          </section>
        )}
      </div>
    </>
  );
}

/**
 * The FN (formatted name) of each card, in the order the server numbers them (one per
 * BEGIN:VCARD … END:VCARD block), so a skipped card is named rather than only counted.
 */
export function cardNames(text: string): string[] {
  const names: string[] = [];
  const lines = text.replace(/\r?\n[ \t]/g, "").split(/\r?\n/);
  let inCard = false;
  for (const line of lines) {
    if (/^BEGIN:VCARD\s*$/i.test(line)) {
      // Like the server, a card left open is dropped when the next one begins.
      if (inCard) names[names.length - 1] = "";
      else names.push("");
      inCard = true;
    } else if (inCard && /^END:VCARD\s*$/i.test(line)) {
      inCard = false;
    } else if (inCard && /^FN[;:]/i.test(line) && !names.at(-1)) {
      names[names.length - 1] = line.slice(line.indexOf(":") + 1).replace(/\\([,;\\])/g, "$1").trim();
    }
  }
  return names;
}
