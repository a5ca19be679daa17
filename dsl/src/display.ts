/**
 * The display protocol (Deno's kernel convention): an object that can show itself returns a MIME
 * bundle from this method. sparselab's results implement it with text and HTML only; charts come
 * from @sparselab/kernel, which the DSL does not depend on.
 */
export const DISPLAY = Symbol.for("Jupyter.display");

export type MimeBundle = Readonly<Record<string, unknown>> & { readonly "text/plain": string };

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A small HTML table from rows of cells (numbers formatted to 4 significant decimals). */
export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number) => escape(typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v);
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join("")}</tr>`).join("") + "</tbody></table>";
}
