import { createRequire } from "node:module";
import type { DataFrame, Series } from "danfojs-node";
import { argError, checkOptions, isPlainObject } from "../display/errors.js";
import { DISPLAY, PLAIN_TEXT, type Displayable, type MimeBundle, type PlainTextable } from "../display/protocol.js";
import { escapeHtml, formatCell, pad } from "./format.js";
import { frameToRows, isDataFrame, isSeries } from "./dataframe.js";

export type Row = Readonly<Record<string, unknown>>;

export interface TableOptions {
  /** A caption above the table. */
  readonly title?: string;
  /** Decimals for non-integer numbers (default 4). */
  readonly digits?: number;
  /** Rows shown before the middle is elided (default 100: the first and last 50). */
  readonly maxRows?: number;
  /** Which columns, in which order (default: every key, in first-seen order). */
  readonly columns?: readonly string[];
}

/**
 * A table of plain rows that renders itself: `text/html` (a clean HTML table, numbers right-aligned)
 * and `text/plain` (aligned columns). Immutable; `toString()` is the text rendering.
 */
export class Table implements Displayable, PlainTextable {
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
  readonly title: string | undefined;
  readonly digits: number;
  readonly maxRows: number;

  constructor(rows: readonly Row[], columns: readonly string[], options: { title?: string; digits: number; maxRows: number }) {
    this.rows = rows;
    this.columns = columns;
    this.title = options.title;
    this.digits = options.digits;
    this.maxRows = options.maxRows;
    Object.freeze(this);
  }

  /** Rows to render, with `null` where the elided middle goes. */
  #visible(): (Row | null)[] {
    if (this.rows.length <= this.maxRows) return [...this.rows];
    const head = Math.ceil(this.maxRows / 2);
    const tail = this.maxRows - head;
    return [...this.rows.slice(0, head), null, ...this.rows.slice(this.rows.length - tail)];
  }

  #numeric(column: string): boolean {
    let any = false;
    for (const row of this.rows) {
      const v = row[column];
      if (v === null || v === undefined) continue;
      if (typeof v !== "number" && typeof v !== "bigint") return false;
      any = true;
    }
    return any;
  }

  #footer(): string | undefined {
    return this.rows.length > this.maxRows ? `${this.rows.length} rows × ${this.columns.length} columns` : undefined;
  }

  toHTML(): string {
    const align = this.columns.map((c) => (this.#numeric(c) ? "right" : "left"));
    const cellStyle = (i: number) => `style="text-align:${align[i]};padding:2px 8px"`;
    const head = this.columns.map((c, i) => `<th ${cellStyle(i)}>${escapeHtml(c)}</th>`).join("");
    const body = this.#visible().map((row) =>
      row === null
        ? `<tr>${this.columns.map((_c, i) => `<td ${cellStyle(i)}>…</td>`).join("")}</tr>`
        : `<tr>${this.columns.map((c, i) => `<td ${cellStyle(i)}>${escapeHtml(formatCell(row[c], this.digits))}</td>`).join("")}</tr>`,
    );
    const caption = this.title === undefined ? "" : `<caption style="caption-side:top;text-align:left;font-weight:bold;padding:4px 0">${escapeHtml(this.title)}</caption>`;
    const footer = this.#footer();
    const empty = this.rows.length === 0 ? `<tr><td colspan="${Math.max(1, this.columns.length)}"><i>no rows</i></td></tr>` : "";
    return `<table class="sparselab-table" style="border-collapse:collapse;font-variant-numeric:tabular-nums">${caption}` +
      `<thead><tr>${head}</tr></thead><tbody>${body.join("")}${empty}</tbody></table>` +
      (footer ? `<p style="font-size:smaller">${escapeHtml(footer)}</p>` : "");
  }

  toString(): string {
    const align = this.columns.map((c) => (this.#numeric(c) ? "right" as const : "left" as const));
    const cells = this.#visible().map((row) => this.columns.map((c) => (row === null ? "…" : oneLine(formatCell(row[c], this.digits)))));
    const header = this.columns.map(oneLine);
    const widths = header.map((h, i) => Math.max([...h].length, ...cells.map((r) => [...r[i]].length)));
    const line = (r: string[]) => r.map((v, i) => pad(v, widths[i], align[i])).join("  ").trimEnd();
    const lines = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
    if (this.rows.length === 0) lines.push("(no rows)");
    if (this.title !== undefined) lines.unshift(this.title);
    const footer = this.#footer();
    if (footer) lines.push(footer);
    return lines.join("\n");
  }

  [DISPLAY](): MimeBundle {
    return { "text/plain": this.toString(), "text/html": this.toHTML() };
  }

  [PLAIN_TEXT](): string {
    return this.toString();
  }

  toJSON(): readonly Row[] {
    return this.rows;
  }
}

const oneLine = (text: string) => text.replace(/\r?\n/g, "⏎");

/**
 * A displayable table of rows (plain objects, one per row) or of a danfo DataFrame / Series.
 *
 *   show(table(rows, { title: "test accuracy", digits: 3 }))
 */
export function table(rows: readonly object[] | DataFrame | Series, options?: TableOptions): Table {
  const call = "table";
  const opts = checkOptions(call, options, ["title", "digits", "maxRows", "columns"]);
  const title = opts.title;
  if (title !== undefined && typeof title !== "string") throw argError(call, "options.title", "a string", title);
  const digits = opts.digits ?? 4;
  if (typeof digits !== "number" || !Number.isInteger(digits) || digits < 0 || digits > 20) throw argError(call, "options.digits", "an integer in [0, 20]", digits);
  const maxRows = opts.maxRows ?? 100;
  if (typeof maxRows !== "number" || !Number.isInteger(maxRows) || maxRows < 1) throw argError(call, "options.maxRows", "a positive integer", maxRows);

  let records: readonly Row[];
  if (isDataFrame(rows) || isSeries(rows)) {
    records = frameToRows(rows, { index: "auto" });
  } else {
    records = checkRows(call, "rows", rows);
  }
  let columns = columnsOf(records);
  if (opts.columns !== undefined) {
    const chosen = opts.columns;
    if (!Array.isArray(chosen) || chosen.some((c) => typeof c !== "string")) throw argError(call, "options.columns", "an array of column names", chosen);
    const unknown = chosen.find((c: string) => !columns.includes(c));
    if (unknown !== undefined) throw argError(call, "options.columns", `names among ${columns.join(", ")}`, unknown);
    columns = [...chosen];
  }
  return new Table(records, columns, { title, digits, maxRows });
}

/** Every key of the rows, in first-seen order. */
function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** Checks an array of row objects; returns shallow copies (so later mutation does not change the table). */
export function checkRows(call: string, arg: string, rows: unknown): Row[] {
  if (!Array.isArray(rows)) throw argError(call, arg, "an array of row objects", rows);
  return rows.map((row: unknown, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw argError(call, `${arg}[${i}]`, "a row object", row);
    return isPlainObject(row) ? { ...row } : { ...(typeof (row as { toJSON?: unknown }).toJSON === "function" ? (row as { toJSON(): object }).toJSON() : row) };
  });
}

/**
 * Rows as a danfo DataFrame (danfojs-node loads on first use: it takes about 2 s).
 *
 *   toDataFrame(rows).groupby(["arm"]).mean()
 */
export function toDataFrame(rows: readonly object[]): DataFrame {
  const records = checkRows("toDataFrame", "rows", rows);
  const dfd = createRequire(import.meta.url)("danfojs-node") as typeof import("danfojs-node");
  return new dfd.DataFrame(records.map((r) => ({ ...r })));
}
