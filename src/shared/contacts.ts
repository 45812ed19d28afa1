import { z } from "zod";
import { EmailSchema, PhoneSchema } from "./directory.ts";
import { FieldErrorSchema } from "./problems.ts";

const HANGUL = /^\p{Script=Hangul}+$/u;

/**
 * Family then given name, as the workplace suites list people. Korean names are written without
 * a space (박서준, not 박 서준); other names keep one.
 */
export function personName(lastName: string, firstName: string): string {
  if (!lastName || !firstName) return lastName || firstName;
  return HANGUL.test(lastName) && HANGUL.test(firstName) ? `${lastName}${firstName}` : `${lastName} ${firstName}`;
}

/**
 * The name a contact is listed, exported and downloaded under: the person's name, else the
 * nickname, else how to reach them; empty only for a contact with nothing at all.
 */
export function contactLabel(c: {
  lastName: string;
  firstName: string;
  nickName: string;
  emails: readonly { email: string }[];
  telephones: readonly { telephone: string }[];
}): string {
  return personName(c.lastName, c.firstName) || c.nickName || c.emails[0]?.email || c.telephones[0]?.telephone || "";
}

/**
 * External contacts (Clients/Partners), shaped like the contact JSON of workplace-suite APIs:
 * `contactName{…}`, `emails[]`, `telephones[]`, `organizations[]`, `permission{…}`.
 */
export const LIST_MAX = 100;
export const MEMO_MAX = 4000;
export const TAG_MAX = 30;

const text = (max: number) => z.string().trim().max(max);
const uniqueBy = <T>(key: (t: T) => string) => (items: T[]) => new Set(items.map(key)).size === items.length;
const atMostOnePrimary = (items: { primary: boolean }[]) => items.filter((i) => i.primary).length <= 1;

export const ContactNameSchema = z.object({
  lastName: text(100).default(""),
  firstName: text(100).default(""),
  phoneticLastName: text(100).default(""),
  phoneticFirstName: text(100).default(""),
  nickName: text(100).default(""),
});

export const EmailEntrySchema = z.object({
  type: z.enum(["WORK", "HOME", "OTHER"]).default("WORK"),
  email: EmailSchema,
  primary: z.boolean().default(false),
});
export const TelephoneEntrySchema = z.object({
  type: z.enum(["MOBILE", "WORK", "HOME", "FAX", "OTHER"]).default("MOBILE"),
  telephone: PhoneSchema,
  primary: z.boolean().default(false),
});
export const OrganizationSchema = z.object({
  name: text(100).default(""),
  department: text(100).default(""),
  title: text(100).default(""),
});
export const AddressSchema = z.object({
  type: z.enum(["WORK", "HOME", "OTHER"]).default("WORK"),
  country: text(100).default(""),
  postalCode: text(20).default(""),
  region: text(100).default(""),
  locality: text(100).default(""),
  street: text(200).default(""),
  primary: z.boolean().default(false),
});
export const WebsiteSchema = z.object({
  type: z.enum(["WORK", "HOME", "OTHER"]).default("WORK"),
  // A website is a page to open: `javascript:`, `data:` and the like would run or render in the
  // reader's browser (e-mail addresses and phone numbers have their own fields).
  url: z
    .string()
    .trim()
    .max(500)
    .url("must be a URL")
    .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// address"),
});

export const TagSchema = z.string().trim().min(1, "a tag cannot be empty").max(TAG_MAX, `a tag has at most ${TAG_MAX} characters`);
const tagList = z
  .array(TagSchema)
  .max(LIST_MAX)
  .refine((t) => new Set(t).size === t.length, "tags must be unique");
// Patches say only what changes: no defaults here, or an absent field would be reset.
const TagsPatch = z.object({ company: tagList.optional(), mine: tagList.optional() });
const ContactNamePatch = z.object({
  lastName: text(100).optional(),
  firstName: text(100).optional(),
  phoneticLastName: text(100).optional(),
  phoneticFirstName: text(100).optional(),
  nickName: text(100).optional(),
});

const list = <T extends z.ZodType>(item: T) => z.array(item).max(LIST_MAX, `at most ${LIST_MAX} entries`);

/** The editable fields; every one optional so PATCH can send only what changed. */
export const ContactFieldsSchema = z.object({
  contactName: ContactNamePatch.optional(),
  emails: list(EmailEntrySchema)
    .refine(atMostOnePrimary, "only one e-mail can be primary")
    .refine(uniqueBy((e: { email: string }) => e.email.toLowerCase()), "e-mails must be unique")
    .optional(),
  telephones: list(TelephoneEntrySchema).refine(atMostOnePrimary, "only one telephone can be primary").optional(),
  organizations: list(OrganizationSchema).optional(),
  addresses: list(AddressSchema).refine(atMostOnePrimary, "only one address can be primary").optional(),
  websites: list(WebsiteSchema).optional(),
  memo: z.string().max(MEMO_MAX, `at most ${MEMO_MAX} characters`).optional(),
  tags: TagsPatch.optional(),
  /** Only for manual contacts; a LINE contact's photo follows the LINE profile. */
  photo: z.null().optional(),
});
export type ContactFields = z.infer<typeof ContactFieldsSchema>;

export const AccessRangeSchema = z.enum(["ALL", "MEMBER"]);
export const AccessibleMemberSchema = z.object({ type: z.enum(["MEMBER", "TEAM"]), id: z.string().uuid() });
export const PermissionBody = z.object({
  accessibleRange: AccessRangeSchema,
  isCoEditing: z.boolean(),
  accessibleMembers: z.array(AccessibleMemberSchema).max(LIST_MAX).default([]),
});
export type PermissionInput = z.infer<typeof PermissionBody>;

export const CreateContactBody = ContactFieldsSchema.extend({ permission: PermissionBody.optional() });
export type CreateContactInput = z.infer<typeof CreateContactBody>;

export const ContactSchema = z.object({
  contactId: z.string().uuid(),
  contactName: ContactNameSchema,
  photoUrl: z.string().nullable(),
  emails: z.array(EmailEntrySchema),
  telephones: z.array(TelephoneEntrySchema),
  organizations: z.array(OrganizationSchema),
  addresses: z.array(AddressSchema),
  websites: z.array(WebsiteSchema),
  memo: z.string(),
  tags: z.object({ company: z.array(z.string()), mine: z.array(z.string()) }),
  permission: z.object({
    ownerId: z.string().uuid().nullable(),
    accessibleRange: AccessRangeSchema,
    isCoEditing: z.boolean(),
    accessibleMembers: z.array(AccessibleMemberSchema),
  }),
  linkedLineUser: z
    .object({ lineUserId: z.string().uuid(), displayName: z.string().nullable(), pictureUrl: z.string().nullable(), roomId: z.string().uuid().optional() })
    .nullable(),
  /** Whether the caller may edit (owner, or a viewer while co-editing is on). */
  editable: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().optional(),
  deletedBy: z.string().uuid().nullable().optional(),
});
export type Contact = z.infer<typeof ContactSchema>;

export const AddLineContactResult = z.object({ created: z.boolean(), contact: ContactSchema });

export const ContactListQuery = z.object({
  tab: z.enum(["all", "line"]).default("all"),
  q: z.string().trim().max(100).optional(),
  tag: z.string().trim().max(TAG_MAX).optional(),
  sort: z.enum(["name", "created", "modified"]).default("name"),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type ContactListOptions = z.infer<typeof ContactListQuery>;
export const ContactListSchema = z.object({ items: z.array(ContactSchema), nextCursor: z.string().nullable() });

export const IdsBody = z.object({ ids: z.array(z.string().uuid()).min(1).max(LIST_MAX) });
export const ExportBody = z.object({ ids: z.array(z.string().uuid()).max(1000).optional() });
const UUID_TEXT = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/**
 * GET /contacts/export, which a plain link can download: `ids` comma-separated (at most LIST_MAX,
 * so the URL stays short), or absent for every contact I see.
 */
export const ExportQuery = z.object({
  ids: z
    .string()
    .regex(new RegExp(`^${UUID_TEXT}(,${UUID_TEXT}){0,${LIST_MAX - 1}}$`), `must be up to ${LIST_MAX} contact ids separated by commas`)
    .optional(),
});
export const BulkResultSchema = z.object({
  results: z.array(
    z.object({ contactId: z.string(), ok: z.boolean(), code: z.string().optional(), detail: z.string().optional() }),
  ),
});
/**
 * A vCard import runs in the background (POST /contacts/import answers 202 with this): the cards
 * are taken in order, in chunks, and `done` counts those taken so far — imported or skipped.
 * `skipped` lists each card that did not become a contact — its 0-based position in the file, its
 * FN (formatted name, "" when it has none) and why; cards that did are only counted, as a
 * 10,000-card report would otherwise be mostly ids.
 * `failed`: the import stopped for good after `done` cards (its job used up its retries); the cards
 * before were imported, the rest were not, and importing the file again brings them in — the cards
 * already imported then come in a second time.
 */
export const ContactImportSchema = z.object({
  importId: z.string().uuid(),
  state: z.enum(["running", "finished", "failed"]),
  total: z.number().int(),
  done: z.number().int(),
  imported: z.number().int(),
  failed: z.number().int(),
  skipped: z.array(
    z.object({
      index: z.number().int(),
      name: z.string(),
      /** Why, in English (for API users and logs). */
      errors: z.array(z.string()),
      /** Why, as field errors a client words in its reader's language (reports made before them have none). */
      problems: z.array(FieldErrorSchema).optional(),
    }),
  ),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ContactImport = z.infer<typeof ContactImportSchema>;

/** Sent to the importing member after each chunk; the web app then refetches the import. */
export const CONTACT_IMPORT_PROGRESS = "contact_import.progress";
export const ContactImportProgressSchema = ContactImportSchema.pick({ importId: true, state: true, total: true, done: true, failed: true });

/**
 * Real-time events about contacts (Server-Sent Events, see realtime.ts). Each reaches every member
 * who could see the contact before or after the change (the whole company for privacy ALL), so a
 * member who just lost sight of it hears too and their list drops it.
 * - `contact.created`: added by hand, imported, or added from a room
 * - `contact.updated`: fields, tags, photo, LINE nickname/photo sync, sharing or owner changed
 * - `contact.deleted`: moved to the Trash
 * - `contact.restored`: back from the Trash
 * - `contact.removed`: gone for good (deleted from the Trash, or purged after the retention period)
 */
export const CONTACT_EVENT_TYPES = ["contact.created", "contact.updated", "contact.deleted", "contact.restored", "contact.removed"] as const;
export type ContactEventType = (typeof CONTACT_EVENT_TYPES)[number];
/**
 * `data` of a contact event: the contact, or the contacts when one change touched several at
 * once (a LINE profile sync, a Trash purge) and is announced as one event.
 */
export const ContactEventDataSchema = z.union([z.object({ contactId: z.string().uuid() }), z.object({ contactIds: z.array(z.string().uuid()).min(1) })]);
export type ContactEventData = z.infer<typeof ContactEventDataSchema>;

export const AdminContactListQuery = z.object({
  filter: z.enum(["all", "line", "no_visible_members", "no_owner", "trash"]).default("all"),
  q: z.string().trim().max(100).optional(),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export const OwnerBody = z.object({ ownerId: z.string().uuid() });
export const ContactSettingsSchema = z.object({
  defaultAccessRange: AccessRangeSchema,
  trashRetentionDays: z.number().int().min(1).max(365),
  contactQuota: z.number().int(),
  contactCount: z.number().int(),
});
export const ContactSettingsBody = ContactSettingsSchema.pick({ defaultAccessRange: true, trashRetentionDays: true }).partial();

export const AuditQuery = z.object({
  q: z.string().trim().max(100).optional(),
  action: z.string().trim().max(100).optional(),
  target: z.string().trim().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditFilter = z.infer<typeof AuditQuery>;
export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.object({ id: z.string().uuid(), displayName: z.string() }).nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  /** The contact's current name for contact targets; null for other targets and contacts deleted for good. */
  targetName: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export const AuditListSchema = z.object({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
