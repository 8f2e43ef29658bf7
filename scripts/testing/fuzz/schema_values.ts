/**
 * Values for the fuzz suite, from the JSON Schemas of the API's OpenAPI document: a valid-looking value for a
 * schema (its example, or one built from its type, bounds, formats and enums), and mutations of a value that a
 * careless or hostile client sends: wrong types, values past the bounds, unknown fields, missing required ones,
 * text Postgres cannot store, deep nesting, huge strings. All randomness comes from one seeded generator, so a
 * failing run is replayed by its seed.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is open-ended.
export type Schema = Record<string, any>;

/** mulberry32: a small seeded generator, good enough to pick cases. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** Strings a fuzzer throws at every text field. */
export const NASTY_STRINGS: readonly string[] = [
  "",
  " ",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\u202e\u0041\u0042",
  "🔥".repeat(50),
  "'; drop table public.jobs; --",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%00%ff%fe",
  "\\u0000",
  "null",
  "1e309",
  "-0",
  "https://169.254.169.254/latest/meta-data/",
  "http://127.0.0.1:5432/",
  "upload:00000000-0000-0000-0000-000000000000",
  "x".repeat(5000),
  "\r\nset-cookie: a=b",
];

const NASTY_NUMBERS: readonly Json[] = [0, -1, 1.5, -1e9, 1e15, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e-9];

/** Resolves `{$ref: "#/components/schemas/X"}` against the document. */
export function resolve(schema: Schema | undefined, components: Record<string, Schema>): Schema {
  let current = schema ?? {};
  for (let depth = 0; typeof current.$ref === "string" && depth < 10; depth++) {
    current = components[current.$ref.split("/").pop() as string] ?? {};
  }
  return current;
}

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === "string") return [schema.type];
  if (schema.properties) return ["object"];
  if (schema.items) return ["array"];
  return ["string"];
}

function validString(schema: Schema, random: Random): string {
  switch (schema.format) {
    case "uuid":
      return crypto.randomUUID();
    case "date-time":
      return new Date(Date.now() + random.int(-1e9, 1e9)).toISOString();
    case "uri":
    case "url":
      return "https://example.com/kiln";
    default: {
      const min = schema.minLength ?? 1;
      const max = Math.min(schema.maxLength ?? 40, min + 40);
      return "kiln".repeat(20).slice(0, random.int(min, Math.max(min, max)));
    }
  }
}

/** A value `schema` accepts (as far as a schema can say: patterns and cross-field rules are best effort). */
export function validValue(schema: Schema, components: Record<string, Schema>, random: Random, depth = 0): Json {
  const s = resolve(schema, components);
  if (s.example !== undefined && random.chance(0.5)) return structuredClone(s.example) as Json;
  if (Array.isArray(s.enum)) return random.pick(s.enum) as Json;
  const variants = s.oneOf ?? s.anyOf;
  if (Array.isArray(variants)) return validValue(random.pick(variants), components, random, depth + 1);
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((part: Schema) => validValue(part, components, random, depth + 1)));
  }
  const type = random.pick(
    typesOf(s).filter((t) => t !== "null").length > 0 ? typesOf(s).filter((t) => t !== "null") : ["null"],
  );
  switch (type) {
    case "object": {
      const out: Record<string, Json> = {};
      const required = new Set<string>(s.required ?? []);
      for (const [name, property] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if (required.has(name) || (depth < 3 && random.chance(0.5))) {
          out[name] = validValue(property, components, random, depth + 1);
        }
      }
      return out;
    }
    case "array": {
      const min = s.minItems ?? 0;
      const count = random.int(min, Math.max(min, Math.min(s.maxItems ?? 3, min + 3)));
      return Array.from({ length: count }, () => validValue(s.items ?? {}, components, random, depth + 1));
    }
    case "integer":
      return random.int(Math.ceil(s.minimum ?? 0), Math.floor(Math.min(s.maximum ?? 100, (s.minimum ?? 0) + 100)));
    case "number":
      return (s.minimum ?? 0) + random.next() * Math.min(100, (s.maximum ?? 100) - (s.minimum ?? 0));
    case "boolean":
      return random.chance(0.5);
    case "null":
      return null;
    default:
      return validString(s, random);
  }
}

/** A value of the wrong kind, or past the schema's bounds, or text Postgres cannot store. */
export function hostileValue(schema: Schema, components: Record<string, Schema>, random: Random): Json {
  const s = resolve(schema, components);
  const choices: (() => Json)[] = [
    () => random.pick(NASTY_STRINGS),
    () => random.pick(NASTY_NUMBERS),
    () => null,
    () => random.chance(0.5),
    () => [],
    () => ({}),
    () => nested(random.int(20, 200)),
    () => Array.from({ length: random.int(100, 2000) }, (_, i) => i),
  ];
  if (typeof s.maximum === "number") choices.push(() => s.maximum + random.int(1, 1000));
  if (typeof s.minimum === "number") choices.push(() => s.minimum - random.int(1, 1000));
  if (typeof s.maxLength === "number") choices.push(() => "y".repeat(s.maxLength + random.int(1, 100)));
  if (Array.isArray(s.enum)) choices.push(() => `${String(random.pick(s.enum))}_not`);
  if (s.format === "uuid")
    choices.push(
      () => "00000000-0000-0000-0000-00000000000g",
      () => crypto.randomUUID().toUpperCase(),
    );
  return random.pick(choices)();
}

function nested(depth: number): Json {
  let value: Json = "deep";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return value;
}

/** `value` (a body) with one part made hostile: a field replaced, removed, added, or the whole thing. */
export function mutateBody(value: Json, schema: Schema, components: Record<string, Schema>, random: Random): Json {
  const s = resolve(schema, components);
  if (value === null || typeof value !== "object" || Array.isArray(value) || random.chance(0.1)) {
    return hostileValue(s, components, random);
  }
  const out = { ...value };
  const names = Object.keys((s.properties ?? {}) as object);
  const roll = random.next();
  if (roll < 0.5 && names.length > 0) {
    const name = random.pick(names);
    const property = (s.properties as Record<string, Schema>)[name];
    const current = out[name];
    // Half the time go one level deeper, so nested fields (params.width, metadata.k) are reached too.
    out[name] =
      current && typeof current === "object" && random.chance(0.5)
        ? mutateBody(current, property, components, random)
        : hostileValue(property, components, random);
  } else if (roll < 0.7 && names.length > 0) {
    delete out[random.pick(names)];
  } else {
    out[random.pick(["unknown", "__proto__", "constructor", "x\u0000", "é"])] = hostileValue({}, components, random);
  }
  return out;
}
