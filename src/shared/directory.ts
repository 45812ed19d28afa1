import { z } from "zod";
import { LINE_REFUSALS, NAME_REFUSALS } from "./problems.ts";

/**
 * A member's ID doubles as their My Message ID, which LINE users type to find them, so it is
 * kept short and unambiguous: 3–30 of a–z, 0–9, ".", "_" and "-", starting with a letter or
 * digit. Uniqueness is service-wide and case-insensitive (docs/decisions.md).
 */
export const LoginIdSchema = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(30, "must be at most 30 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit");

export const EmailSchema = z.string().trim().max(254).email("must be an e-mail address");
export const PhoneSchema = z
  .string()
  .trim()
  .max(40)
  .regex(/^\+?[0-9()\-.\s]{3,40}$/, "must be a phone number (digits, spaces, + - . ( ))");

export const RoleSchema = z.enum(["admin", "member"]);
export const PlanSchema = z.enum(["standard", "core"]);

export const SignInBody = z.object({
  login: z.string().trim().min(1, "enter your e-mail or ID").max(254),
  password: z.string().min(1, "enter your password").max(200),
});

export const MemberSchema = z.object({
  id: z.string().uuid(),
  loginId: z.string(),
  email: z.string(),
  displayName: z.string(),
  phone: z.string().nullable(),
  department: z.string().nullable(),
  role: RoleSchema,
  photoUrl: z.string().nullable(),
  lineAllowed: z.boolean(),
});
export type Member = z.infer<typeof MemberSchema>;

export const LinePolicySchema = z.object({
  policy: z.enum(["deny", "allow"]),
  grant: z.enum(["all", "by_member"]),
  grantNewMembers: z.boolean(),
  filesAllowed: z.boolean(),
});
export type LinePolicy = z.infer<typeof LinePolicySchema>;

/** Languages the company's LINE account has words for (the account's replies, the card's greeting, the picker). */
export const LINE_LANGUAGES = ["en", "ja", "ko"] as const;

/**
 * How the company's LINE account behaves toward LINE users (issue 11): the language it speaks when
 * a LINE user's own LINE language is not one it has words for, whether LINE shows them "Read" once
 * a member opened the room, and whether LINE shows its typing animation while a member types.
 */
export const LineAccountSettingsSchema = z.object({
  language: z.enum(LINE_LANGUAGES, { error: "must be en, ja or ko" }),
  readReceipts: z.boolean(),
  typing: z.boolean(),
});
export type LineAccountSettings = z.infer<typeof LineAccountSettingsSchema>;

export const TenantSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  plan: PlanSchema,
  contactQuota: z.number().int(),
  trashRetentionDays: z.number().int(),
  line: LinePolicySchema,
  lineAccount: LineAccountSettingsSchema,
});
export type Tenant = z.infer<typeof TenantSchema>;

export const LineAccessSchema = z.object({
  allowed: z.boolean(),
  reason: z.enum(["plan_required", "line_not_allowed"]).optional(),
  /** Which rule refused, so the web app can say why in the member's language. */
  why: z.enum(LINE_REFUSALS).optional(),
  /** What LINE objects to in the refused name. */
  refusal: z.enum(NAME_REFUSALS).optional(),
  detail: z.string().optional(),
});
export type LineAccess = z.infer<typeof LineAccessSchema>;

export const MeSchema = z.object({
  member: MemberSchema,
  tenant: TenantSchema,
  lineAccess: LineAccessSchema,
  csrfToken: z.string(),
});
export type Me = z.infer<typeof MeSchema>;

export const CreateMemberBody = z.object({
  loginId: LoginIdSchema,
  email: EmailSchema,
  displayName: z.string().trim().min(1).max(100),
  phone: PhoneSchema.optional(),
  department: z.string().trim().max(100).optional(),
  role: RoleSchema.default("member"),
  password: z.string().min(8, "must be at least 8 characters").max(200),
});

export const UpdateMemberBody = z
  .object({
    loginId: LoginIdSchema,
    email: EmailSchema,
    displayName: z.string().trim().min(1).max(100),
    phone: PhoneSchema.nullable(),
    department: z.string().trim().max(100).nullable(),
    role: RoleSchema,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "change at least one field");

export const MemberListSchema = z.object({ items: z.array(MemberSchema) });

export const PlanBody = z.object({ plan: PlanSchema });
export const MemberLineAccessBody = z.object({ allowed: z.boolean() });

export const TeamSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  memberIds: z.array(z.string().uuid()),
});
export const TeamListSchema = z.object({ items: z.array(TeamSchema) });
export const CreateTeamBody = z.object({
  name: z.string().trim().min(1).max(100),
  memberIds: z.array(z.string().uuid()).max(1000).default([]),
});

export const IdParam = z.object({ id: z.string().uuid("must be a UUID") });
