import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { textProblems } from "../../shared/text.ts";

/**
 * Generated from /api/openapi.json: every operation gets hostile strings (NUL, a lone surrogate,
 * 1 MB) in each string field of its body, each path parameter and each query parameter, plus
 * deeply nested JSON and wrong types. Whatever the answer, it is never a 500: nothing a client
 * sends may crash a request.
 */
type Schema = Record<string, unknown> & { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema };
type Operation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
};

const NUL = "a\u0000b";
const LONE_SURROGATE = "a\ud800b";
const MEGABYTE = "x".repeat(1024 * 1024);
/**
 * The same, as they travel in a URL (already percent-encoded): a lone surrogate has no UTF-8 form,
 * so a client sends its WTF-8 bytes. The request line must fit Node's 16 KB header limit.
 */
const URL_HOSTILE = [
  ["NUL", "a%00b"],
  ["lone surrogate", "a%ED%A0%80b"],
  ["long string", "x".repeat(8 * 1024)],
] as const;
const DEEP = 100_000;

let server: TestServer;
let admin: ApiClient;
let doc: { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

beforeAll(async () => {
  server = await bootServer();
  admin = await signedIn(server, "admin@demo.example");
  doc = (await admin.get("/api/openapi.json")).json;
});
afterAll(async () => {
  await server?.stop();
});

function resolve(s: Schema | undefined): Schema {
  let schema = s ?? {};
  while (schema.$ref) schema = doc.components!.schemas![schema.$ref.split("/").at(-1)!]!;
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants) return resolve(variants.find((v) => resolve(v).type !== "null") ?? variants[0]);
  if (schema.allOf) return Object.assign({}, ...(schema.allOf as Schema[]).map(resolve)) as Schema;
  return schema;
}

/**
 * Fields whose rules a generator cannot read from the schema (patterns, cross-field checks): a
 * valid base body matters, or a hostile value would be refused for another field's sake and the
 * code behind it never reached.
 */
const FIELD_SAMPLES: Record<string, unknown> = {
  phone: "03-1234-5678",
  telephone: "03-1234-5678",
  channelId: "1234567890",
  loginChannelId: null,
  loginChannelSecret: null,
  basicId: "@abc1234",
  mode: "shared",
  // Set by its own upload route only: left out of the JSON.
  photo: undefined,
};

/** A value the schema accepts, as far as a generator can tell: hostile values then replace one part at a time. */
function sample(s: Schema | undefined, depth = 0): unknown {
  const schema = resolve(s);
  if (schema.enum) return (schema.enum as unknown[])[0];
  if ("const" in schema) return schema.const;
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object":
      return depth > 6 ? {} : Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, k in FIELD_SAMPLES ? FIELD_SAMPLES[k] : sample(v, depth + 1)]));
    case "array":
      return depth > 6 ? [] : [sample(schema.items, depth + 1)].slice(0, Math.max(1, Number(schema.minItems ?? 1)));
    case "integer":
    case "number":
      return Number(schema.minimum ?? 1);
    case "boolean":
      return true;
    case "string":
      switch (schema.format) {
        case "uuid":
          return crypto.randomUUID();
        case "email":
          return `fuzz-${crypto.randomBytes(4).toString("hex")}@example.com`;
        case "date-time":
          return new Date().toISOString();
        case "date":
          return "2026-01-01";
        case "uri":
          return "https://example.com/";
        default:
          return "fuzz".padEnd(Number(schema.minLength ?? 1), "z").slice(0, Number(schema.maxLength ?? 64));
      }
    default:
      return "fuzz";
  }
}

/** Every path to a string in `value`, and to every field (for wrong types). */
function paths(value: unknown, at: (string | number)[] = []): { path: (string | number)[]; isString: boolean }[] {
  const here = at.length ? [{ path: at, isString: typeof value === "string" }] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value && typeof value === "object") return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return here;
}

function replaced(value: unknown, at: (string | number)[], by: unknown): unknown {
  if (at.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[at[0]!] = replaced(copy[at[0]!], at.slice(1), by);
  return copy;
}

interface Attempt {
  what: string;
  path: string;
  /** Percent-encoded values. */
  query: Record<string, string>;
  body?: string | Uint8Array;
  contentType?: string;
}

function attemptsFor(route: string, op: Operation): Attempt[] {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const validPath = Object.fromEntries(pathParams.map((p) => [p.name, encodeURIComponent(String(sample(p.schema)))]));
  const requiredQuery = Object.fromEntries(queryParams.filter((p) => p.required).map((p) => [p.name, encodeURIComponent(String(sample(p.schema)))]));
  // Values are URL-encoded already (URL_HOSTILE), so they are placed as they are.
  const url = (values: Record<string, string>) => route.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
  const attempts: Attempt[] = [];

  const json = op.requestBody?.content["application/json"];
  const base = json ? sample(json.schema) : undefined;
  const raw = op.requestBody && !json ? Object.keys(op.requestBody.content)[0] : undefined;
  const withBody = (a: Omit<Attempt, "body" | "contentType">): Attempt =>
    json ? { ...a, body: JSON.stringify(base), contentType: "application/json" } : raw ? { ...a, body: "fuzz", contentType: raw.replace("*", "png") } : a;

  for (const p of pathParams)
    for (const [what, value] of URL_HOSTILE) attempts.push(withBody({ what: `path ${p.name}: ${what}`, path: url({ ...validPath, [p.name]: value }), query: requiredQuery }));
  for (const p of queryParams)
    for (const [what, value] of URL_HOSTILE) attempts.push(withBody({ what: `query ${p.name}: ${what}`, path: url(validPath), query: { ...requiredQuery, [p.name]: value } }));

  const at = { path: url(validPath), query: requiredQuery };
  if (json) {
    const body = (what: string, value: unknown) => attempts.push({ ...at, what, body: JSON.stringify(value), contentType: "application/json" });
    for (const { path, isString } of paths(base)) {
      const field = path.join(".");
      if (isString) {
        body(`body ${field}: NUL`, replaced(base, path, NUL));
        body(`body ${field}: lone surrogate`, replaced(base, path, LONE_SURROGATE));
        body(`body ${field}: 1 MB`, replaced(base, path, MEGABYTE));
      }
      for (const wrong of [12345, null, {}, ["x"], "x"]) body(`body ${field}: ${JSON.stringify(wrong)}`, replaced(base, path, wrong));
    }
    body("body: NUL as a key", { ...(base as object), [NUL]: "x" });
    attempts.push({ ...at, what: "body: nested arrays", body: "[".repeat(DEEP) + "]".repeat(DEEP), contentType: "application/json" });
    attempts.push({ ...at, what: "body: nested objects", body: '{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP), contentType: "application/json" });
    for (const wrong of ["x", 42, [], null, true]) body(`body: ${JSON.stringify(wrong)}`, wrong);
    attempts.push({ ...at, what: "body: not JSON", body: "{nope", contentType: "application/json" });
  } else if (raw) {
    for (const [what, bytes] of [
      ["NUL", new TextEncoder().encode(`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${NUL}\r\nEND:VCARD\r\n`)],
      ["invalid UTF-8", new Uint8Array([0x42, 0x45, 0x47, 0x49, 0x4e, 0x3a, 0xed, 0xa0, 0x80, 0xff, 0xfe])],
    ] as const)
      attempts.push({ ...at, what: `body: ${what}`, body: bytes, contentType: raw.replace("*", "png") });
  }
  return attempts;
}

async function send(method: string, a: Attempt): Promise<number> {
  const query = Object.entries(a.query).map(([k, v]) => `${k}=${v}`);
  const res = await fetch(`${server.url}${a.path}${query.length ? `?${query.join("&")}` : ""}`, {
    method: method.toUpperCase(),
    headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf, ...(a.contentType ? { "content-type": a.contentType } : {}) },
    body: a.body as BodyInit | undefined,
  });
  // The event stream never ends; its status is all that matters.
  await res.body?.cancel();
  return res.status;
}

describe("hostile input over every API operation", () => {
  it("never answers 500", { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        // Signing out would end the fuzzing session; it takes no input anyway.
        if (route === "/api/v1/session" && method === "delete") continue;
        for (const a of attemptsFor(route, op)) {
          const status = await send(method, a);
          sent++;
          if (status >= 500) failures.push(`${method.toUpperCase()} ${route} — ${a.what}: ${status}`);
        }
      }
    }
    expect(sent).toBeGreaterThan(500);
    expect(failures).toEqual([]);
    // Still signed in: the run above did not end the session it used.
    expect((await admin.get("/api/v1/me")).status).toBe(200);
  });

  it("outside the API too: invitation pages, LINE Login's callback, public media, the mailbox, CardDAV", async () => {
    for (const p of ["/i/a%00b", "/i/a%00b/add", "/i/a%00b/photo", "/line/login/callback?code=a%00b&state=a%00b", "/line/media/a%00b/x", "/__mail/api/messages?to=a%00b"]) {
      const res = await fetch(`${server.url}${p}`, { redirect: "manual" });
      expect(`${p}: ${res.status}`).toBe(`${p}: 400`);
    }
    const basic = `Basic ${Buffer.from(`admin@demo.example${NUL}:secret${NUL}`).toString("base64")}`;
    const dav = await fetch(`${server.url}/dav/`, { method: "PROPFIND", headers: { authorization: basic, depth: "0" } });
    expect(dav.status).toBe(401);
  });

  it("names the refused field in a 400 problem", async () => {
    const res = await admin.post("/api/v1/teams", { name: `Team ${NUL}` });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.json).toMatchObject({ code: "validation_failed", errors: [{ path: "name", message: "must not contain a NUL character (U+0000)" }] });
    const search = await admin.get("/api/v1/contacts?q=a%00b");
    expect(search.status).toBe(400);
    expect(search.json.errors).toEqual([{ path: "q", message: "must not contain a NUL character (U+0000)", code: "invalid_text" }]);
    const member = await admin.post("/api/v1/members", { displayName: `Lone ${LONE_SURROGATE}`, email: "lone@example.com", loginId: "lone", password: "long-enough-password" });
    expect(member.status).toBe(400);
    expect(member.json.errors).toContainEqual({ path: "displayName", message: "must not contain an unpaired UTF-16 surrogate", code: "invalid_text" });
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: `admin${NUL}`, password: "x" }),
    });
    expect(signIn.status).toBe(400);
  });
});

describe("the shared text rule", () => {
  it("finds NUL and unpaired surrogates anywhere, keeps paired ones and ordinary text", () => {
    expect(textProblems({ a: "日本語 😀", b: ["ok", "x\ud83d"], c: { d: "\u0000" } })).toEqual([
      { path: "c.d", message: "must not contain a NUL character (U+0000)", code: "invalid_text" },
      { path: "b.1", message: "must not contain an unpaired UTF-16 surrogate", code: "invalid_text" },
    ]);
    expect(textProblems("\udc00")).toEqual([{ path: "(body)", message: "must not contain an unpaired UTF-16 surrogate", code: "invalid_text" }]);
  });
});
