/**
 * A form generated at run time from a JSON Schema of the api's `/openapi.json` (a job type's params), so it fits
 * whatever version is deployed: text for strings (a text area for prompts), numbers with their bounds, a list for
 * enums, a box for booleans. Each control is labelled by its field's name ("prompt" → "Prompt"); a field the API
 * refused shows the API's message beside it.
 */
import type { JSX } from "preact";

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is open-ended.
export type Schema = Record<string, any>;

export const labelOf = (name: string) => {
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** The schema `$ref`s point to, resolved in `components`. */
export function resolved(schema: Schema, components: Record<string, Schema>): Schema {
  let current = schema;
  for (let depth = 0; typeof current.$ref === "string" && depth < 10; depth++) {
    current = components[current.$ref.split("/").pop() as string] ?? {};
  }
  return current;
}

export interface SchemaFormProps {
  schema: Schema;
  components: Record<string, Schema>;
  values: Record<string, unknown>;
  errors: Record<string, string>;
  onChange(values: Record<string, unknown>): void;
  /** Fields not shown (set another way, e.g. an image by upload). */
  skip?: readonly string[];
}

export function SchemaForm(props: SchemaFormProps): JSX.Element {
  const schema = resolved(props.schema, props.components);
  const required = new Set<string>(schema.required ?? []);
  const fields = Object.entries((schema.properties ?? {}) as Record<string, Schema>).filter(
    ([name]) => !props.skip?.includes(name),
  );
  const set = (name: string, value: unknown) => {
    const next = { ...props.values };
    if (value === undefined || value === "") delete next[name];
    else next[name] = value;
    props.onChange(next);
  };
  return (
    <div>
      {fields.map(([name, raw]) => {
        const field = resolved(raw, props.components);
        const type = Array.isArray(field.type) ? field.type.find((t: string) => t !== "null") : field.type;
        const value = props.values[name];
        const id = `field-${name}`;
        // The label is the field's name only (tests and screen readers find "Prompt"); hint and error describe it.
        const described = { id, "aria-describedby": `${id}-hint`, "aria-required": required.has(name) };
        let control: JSX.Element;
        if (Array.isArray(field.enum)) {
          control = (
            <select
              {...described}
              value={String(value ?? field.default ?? "")}
              onChange={(e) => set(name, e.currentTarget.value)}
            >
              {!required.has(name) && <option value="">(default)</option>}
              {field.enum.map((option: unknown) => (
                <option key={String(option)} value={String(option)}>
                  {String(option)}
                </option>
              ))}
            </select>
          );
        } else if (type === "integer" || type === "number") {
          control = (
            <input
              {...described}
              type="number"
              min={field.minimum}
              max={field.maximum}
              step={type === "integer" ? 1 : "any"}
              placeholder={field.default === undefined ? "" : String(field.default)}
              value={value === undefined ? "" : String(value)}
              onInput={(e) => set(name, e.currentTarget.value === "" ? undefined : Number(e.currentTarget.value))}
            />
          );
        } else if (type === "boolean") {
          control = (
            <input type="checkbox" checked={Boolean(value)} onChange={(e) => set(name, e.currentTarget.checked)} />
          );
        } else if (/prompt/.test(name)) {
          control = (
            <textarea
              {...described}
              rows={3}
              value={String(value ?? "")}
              onInput={(e) => set(name, e.currentTarget.value)}
            />
          );
        } else {
          control = (
            <input
              {...described}
              type="text"
              placeholder={field.default === undefined ? "" : String(field.default)}
              value={String(value ?? "")}
              onInput={(e) => set(name, e.currentTarget.value)}
            />
          );
        }
        const error = props.errors[`params.${name}`];
        return (
          <div class="field" key={name}>
            <label for={id}>{labelOf(name)}</label>
            {required.has(name) && <span aria-hidden="true"> *</span>}
            <div>{control}</div>
            <small id={`${id}-hint`}>
              {error ? <span class="error">{error}</span> : null}
              {field.description ?? ""}
            </small>
          </div>
        );
      })}
    </div>
  );
}
