import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import YAML from "yaml";

/**
 * Validates JSON against LINE's own OpenAPI documents (`spec/line-openapi/*.yml`, copied unchanged
 * from line/line-openapi, see SOURCE.md there), so the emulator and the connector are checked
 * against LINE's definitions, not against our reading of them.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SPEC_DIR = process.env.LINE_OPENAPI_DIR ?? path.resolve(ROOT, "spec/line-openapi");
const FILES = ["messaging-api.yml", "webhook.yml", "channel-access-token.yml"] as const;
type SpecFile = (typeof FILES)[number];

type Json = Record<string, unknown>;
export interface SpecResult {
  valid: boolean;
  errors: string[];
  /** The same errors as LINE words a 400's `details`: a dotted property path and a message. */
  details: { property: string; message: string }[];
}

const DISPATCH = "__dispatch";

/**
 * OpenAPI's `discriminator` (base schema maps `type` → subtype, subtypes `allOf` the base) has no
 * JSON Schema meaning. Each discriminated schema X gets a companion `X__dispatch` that also applies
 * the mapped subtype, and every reference to X outside an `allOf` is pointed at the companion.
 */
function expandDiscriminators(doc: Json) {
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const discriminated = new Set<string>();
  for (const [name, schema] of Object.entries(schemas)) {
    const d = schema.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
    if (!d) continue;
    delete schema.discriminator;
    if (!d.mapping) continue;
    discriminated.add(name);
    schemas[name + DISPATCH] = {
      allOf: [
        { $ref: `#/components/schemas/${name}` },
        // LINE refuses a type it does not know (a flex "txt" component); without this such an
        // object would only have to match the base schema.
        { properties: { [d.propertyName]: { enum: Object.keys(d.mapping) } } },
        ...Object.entries(d.mapping).map(([value, target]) => ({
          if: { properties: { [d.propertyName]: { const: value } }, required: [d.propertyName] },
          then: { $ref: target },
        })),
      ],
    };
  }
  const rewrite = (node: unknown, inAllOf: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => rewrite(n, inAllOf));
    if (!node || typeof node !== "object") return;
    const obj = node as Json;
    if (typeof obj.$ref === "string" && !inAllOf) {
      const name = obj.$ref.replace("#/components/schemas/", "");
      if (discriminated.has(name)) obj.$ref = `#/components/schemas/${name}${DISPATCH}`;
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k === "if" || k === "then") continue;
      rewrite(v, k === "allOf");
    }
  };
  for (const [name, schema] of Object.entries(schemas)) if (!name.endsWith(DISPATCH)) rewrite(schema, false);
  rewrite(doc.paths, false);
}

let cache: { ajv: Ajv; docs: Record<SpecFile, Json> } | undefined;
const PARSED_DIR = path.resolve(ROOT, "dist/line-openapi");

/**
 * A spec file as JSON. Parsing the YAML took ~0.35 s of every start of a server with the emulator
 * (and of every test server), so the result is kept under dist/ by the hash of the text it came
 * from; a changed or new spec file is parsed again. Failing to keep it only costs the next start.
 */
function readSpec(file: SpecFile): Json {
  const text = fs.readFileSync(path.join(SPEC_DIR, file), "utf8");
  const parsed = path.join(PARSED_DIR, `${file}.${crypto.createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`);
  try {
    return JSON.parse(fs.readFileSync(parsed, "utf8")) as Json;
  } catch {
    const doc = YAML.parse(text) as Json;
    try {
      fs.mkdirSync(PARSED_DIR, { recursive: true });
      // Written whole under a temporary name first, so a concurrent start never reads half a file.
      const tmp = `${parsed}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(doc));
      fs.renameSync(tmp, parsed);
    } catch {
      // A read-only checkout: parse again next time.
    }
    return doc;
  }
}

function load() {
  if (cache) return cache;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  const docs = {} as Record<SpecFile, Json>;
  for (const file of FILES) {
    const doc = readSpec(file);
    expandDiscriminators(doc);
    docs[file] = doc;
    ajv.addSchema({ $id: file, components: doc.components }, file);
  }
  cache = { ajv, docs };
  return cache;
}

const compiled = new Map<string, ValidateFunction>();

/** Points local `#/…` references of an inline (path-level) schema at its spec file. */
function anchor(node: unknown, file: string): unknown {
  if (Array.isArray(node)) return node.map((n) => anchor(n, file));
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node as Json).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#") ? file + v : anchor(v, file)]),
  );
}

function run(key: string, schema: () => unknown, data: unknown): SpecResult {
  const { ajv } = load();
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema() as Json);
    compiled.set(key, validate);
  }
  const valid = validate(data) as boolean;
  // `if` failures only restate the discriminated subtype's own errors, which are kept; so are
  // duplicates that allErrors reports once per path through an allOf.
  const seen = new Set<string>();
  const found = (valid ? [] : (validate.errors ?? [])).filter((e) => e.keyword !== "if" && !seen.has(describe(e)) && Boolean(seen.add(describe(e))));
  return { valid, errors: found.map(describe), details: found.map(detail) };
}

const describe = (e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
/** `/messages/0/text` → `messages[0].text`, the way LINE names properties in its errors. */
const detail = (e: ErrorObject) => ({
  property: e.instancePath
    .split("/")
    .slice(1)
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), ""),
  message: `${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
});

/** Validates against a named component schema, e.g. `("webhook.yml", "CallbackRequest")`. */
export function validateSchema(file: SpecFile, schemaName: string, data: unknown): SpecResult {
  return run(`${file}#${schemaName}`, () => ({ $ref: `${file}#/components/schemas/${schemaName}` }), data);
}

/** A webhook request body as the LINE platform sends it. */
export function validateWebhookBody(data: unknown): SpecResult {
  return validateSchema("webhook.yml", "CallbackRequest", data);
}

function operation(operationPath: string, method: string): { file: SpecFile; op: Json } {
  const { docs } = load();
  for (const file of FILES) {
    const op = ((docs[file].paths as Json | undefined)?.[operationPath] as Json | undefined)?.[method.toLowerCase()];
    if (op) return { file, op: op as Json };
  }
  throw new Error(`No ${method.toUpperCase()} ${operationPath} in LINE's OpenAPI documents`);
}

/** A JSON response of an operation, e.g. `("/v2/bot/message/push", "post", 200, body)`. */
export function validateResponse(operationPath: string, method: string, status: number, data: unknown): SpecResult {
  const { file, op } = operation(operationPath, method);
  const responses = op.responses as Record<string, Json>;
  const response = responses[String(status)] ?? responses.default;
  const content = response?.content as Record<string, { schema?: unknown }> | undefined;
  const schema = content?.["application/json"]?.schema;
  if (!schema) throw new Error(`LINE's spec defines no JSON body for ${method.toUpperCase()} ${operationPath} → ${status}`);
  return run(`res ${method} ${operationPath} ${status}`, () => anchor(schema, file), data);
}

/** A JSON request body of an operation (for checking what the connector sends). */
export function validateRequest(operationPath: string, method: string, data: unknown): SpecResult {
  const { file, op } = operation(operationPath, method);
  const content = (op.requestBody as Json | undefined)?.content as Record<string, { schema?: unknown }> | undefined;
  const schema = content?.["application/json"]?.schema ?? content?.["application/x-www-form-urlencoded"]?.schema;
  if (!schema) throw new Error(`LINE's spec defines no request body for ${method.toUpperCase()} ${operationPath}`);
  return run(`req ${method} ${operationPath}`, () => anchor(schema, file), data);
}

/** Path templates of LINE's documents as patterns, e.g. `/v2/bot/profile/{userId}`. */
let templates: { file: SpecFile; template: string; pattern: RegExp }[] | undefined;

/**
 * The operation of LINE's documents a request hits, by method and concrete path; undefined when
 * LINE's documents have no such operation (a request LINE itself would answer 404).
 */
export function findOperation(method: string, requestPath: string): { path: string; hasBody: boolean; form: boolean } | undefined {
  const { docs } = load();
  templates ??= FILES.flatMap((file) =>
    Object.keys((docs[file].paths as Json | undefined) ?? {}).map((template) => ({
      file,
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    })),
  );
  // A literal segment wins over a parameter (`/v2/bot/message/quota` before `/v2/bot/message/{messageId}`).
  const hits = templates.filter((t) => t.pattern.test(requestPath)).sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  for (const hit of hits) {
    const op = ((docs[hit.file].paths as Json)[hit.template] as Json)[method.toLowerCase()] as Json | undefined;
    if (!op) continue;
    const content = (op.requestBody as Json | undefined)?.content as Record<string, unknown> | undefined;
    return { path: hit.template, hasBody: Boolean(content), form: Boolean(content?.["application/x-www-form-urlencoded"]) };
  }
  return undefined;
}

/**
 * Compiles the validators tests use most, up front: compiling LINE's message schemas takes a
 * few seconds, and doing it mid-test would stall the event loop the emulator shares.
 */
export function preloadSpecs() {
  validateWebhookBody({ destination: "", events: [] });
  for (const [p, m, s] of [
    ["/v2/bot/message/push", "post", 200],
    ["/v2/bot/message/push", "post", 400],
    ["/v2/bot/message/reply", "post", 200],
    ["/v2/bot/profile/{userId}", "get", 200],
  ] as const) {
    validateResponse(p, m, s, {});
  }
  validateRequest("/v2/bot/message/push", "post", {});
}
