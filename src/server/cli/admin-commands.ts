import crypto from "node:crypto";
import { z } from "zod";
import { EmailSchema, LoginIdSchema, PlanSchema, RoleSchema } from "../../shared/directory.ts";
import { seedDemo } from "../directory/seed.ts";
import type { DirectoryService } from "../directory/service.ts";

/** What a command prints; the entry decides where it goes. */
export type Out = (line: string) => void;

export class UsageError extends Error {}

// Printed once and never stored in clear: long enough to resist guessing, short enough to type.
const newPassword = () => crypto.randomBytes(12).toString("base64url");

const CompanyNameSchema = z.string().trim().min(1, "must not be empty").max(100);
const UuidSchema = z.string().uuid("must be a company id (see `companies`)");

const CreateCompanyArgs = z.object({
  name: CompanyNameSchema,
  plan: PlanSchema.default("core"),
  "admin-email": EmailSchema,
  "admin-id": LoginIdSchema,
  "admin-name": z.string().trim().min(1).max(100),
});
const AddMemberArgs = z.object({
  company: UuidSchema,
  email: EmailSchema,
  id: LoginIdSchema,
  name: z.string().trim().min(1).max(100),
  role: RoleSchema.default("member"),
});
const PlanArgs = z.object({ company: UuidSchema, plan: PlanSchema });
const PasswordArgs = z.object({ login: z.string().trim().min(1, "must name a member by e-mail or ID") });

function parse<T extends z.ZodType>(schema: T, args: Record<string, unknown>): z.output<T> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("\n"));
}

export const COMMANDS = ["companies", "company:create", "company:plan", "member:add", "member:password", "members", "demo:seed"] as const;

export const USAGE = `Usage: npm run admin -- <command> [options]

  companies                                   list companies with their plan and member count
  company:create --name <name> --admin-email <e-mail> --admin-id <ID> --admin-name <name> [--plan core|standard]
                                              create a company and its first administrator (password printed once)
  company:plan --company <id> --plan core|standard
                                              change a company's plan
  member:add --company <id> --email <e-mail> --id <ID> --name <name> [--role member|admin]
                                              add a member (password printed once)
  member:password --login <e-mail or ID>      set a new password (printed once) and end the member's sessions
  members --company <id>                      list a company's members
  demo:seed                                   create the demo company (on an empty database only)

On the embedded database (PGlite) stop the server first: one process at a time may open it.`;

/**
 * The operator's tasks, for companies that run Tsunagu themselves: the web app has no sign-up,
 * so the first company and administrator come from here (or from the demo seed).
 */
export async function runAdminCommand(directory: DirectoryService, command: string | undefined, args: Record<string, unknown>, out: Out) {
  switch (command) {
    case "companies": {
      const tenants = await directory.operator.tenants();
      if (!tenants.length) out("No companies yet. Create one with company:create.");
      for (const t of tenants) out(`${t.id}  ${t.plan.padEnd(8)}  ${String(t.member_count).padStart(4)} members  ${t.name}`);
      return;
    }
    case "company:create": {
      const a = parse(CreateCompanyArgs, args);
      const tenant = await directory.createTenant({ name: a.name, plan: a.plan });
      const password = newPassword();
      const admin = await directory.addMember(tenant, null, {
        loginId: a["admin-id"],
        email: a["admin-email"],
        displayName: a["admin-name"],
        role: "admin",
        password,
      });
      out(`Company "${tenant.name}" created: ${tenant.id} (plan ${tenant.plan}).`);
      out(`Administrator ${admin!.email} can sign in with the password: ${password}   (shown only now)`);
      return;
    }
    case "company:plan": {
      const a = parse(PlanArgs, args);
      if (!(await directory.operator.tenant(a.company))) throw new UsageError(`No company with the id ${a.company}.`);
      const t = await directory.operator.setPlan(a.company, a.plan);
      out(`Company "${t.name}" is now on the ${t.plan} plan.`);
      return;
    }
    case "member:add": {
      const a = parse(AddMemberArgs, args);
      const tenant = await directory.operator.tenant(a.company);
      if (!tenant) throw new UsageError(`No company with the id ${a.company}.`);
      const password = newPassword();
      const m = await directory.addMember(tenant, null, { loginId: a.id, email: a.email, displayName: a.name, role: a.role, password });
      out(`Member ${m!.email} (${m!.role}) added to "${tenant.name}". Password: ${password}   (shown only now)`);
      return;
    }
    case "member:password": {
      const a = parse(PasswordArgs, args);
      const password = newPassword();
      const m = await directory.operator.setPassword(a.login, password);
      out(`New password for ${m.email}: ${password}   (shown only now; their sessions have ended)`);
      return;
    }
    case "members": {
      const a = parse(z.object({ company: UuidSchema }), args);
      if (!(await directory.operator.tenant(a.company))) throw new UsageError(`No company with the id ${a.company}.`);
      for (const m of await directory.operator.members(a.company)) out(`${m.login_id.padEnd(30)}  ${m.role.padEnd(6)}  ${m.email}  ${m.display_name}`);
      return;
    }
    case "demo:seed": {
      if ((await directory.operator.tenants()).length) throw new UsageError("The database already has companies; the demo is made on an empty one only.");
      const seeded = await seedDemo(directory);
      out(`Demo company created. Members: ${seeded.members.map((m) => m!.email).join(", ")}; password: ${seeded.password}   (shown only now)`);
      return;
    }
    default:
      throw new UsageError(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
  }
}
