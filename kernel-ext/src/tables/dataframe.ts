import type { DataFrame, Series } from "danfojs-node";
import type { MimeBundle } from "../display/protocol.js";
import type { Row } from "./table.js";
import { Table } from "./table.js";

/*
 * danfo frames are recognised by shape, not by `instanceof`: danfojs-node loads slowly (we never
 * load it just to ask), and a notebook may hold frames from another copy of it.
 */

interface FrameLike {
  readonly columns: readonly unknown[];
  readonly index: readonly unknown[];
  readonly values: readonly unknown[];
  readonly shape: readonly number[];
  toString(): string;
}

function frameLike(value: unknown): value is FrameLike {
  if (value === null || typeof value !== "object") return false;
  const v = value as Partial<FrameLike> & { $isSeries?: unknown };
  return Array.isArray(v.columns) && Array.isArray(v.index) && Array.isArray(v.values) && Array.isArray(v.shape) &&
    typeof v.$isSeries === "boolean";
}

export function isDataFrame(value: unknown): value is DataFrame {
  return frameLike(value) && (value as { $isSeries?: boolean }).$isSeries === false;
}

export function isSeries(value: unknown): value is Series {
  return frameLike(value) && (value as { $isSeries?: boolean }).$isSeries === true;
}

/** The index is shown when asked, or (`auto`) when it is not the default 0…n−1. */
export function frameToRows(frame: DataFrame | Series, options: { index: boolean | "auto" }): Row[] {
  const f = frame as unknown as FrameLike & { $isSeries: boolean };
  const index = f.index;
  const showIndex = options.index === "auto" ? !index.every((v, i) => v === i) : options.index;
  const columns = f.$isSeries ? [String(f.columns[0] ?? "value")] : f.columns.map(String);
  const indexKey = uniqueKey("", columns);
  return f.values.map((values, i) => {
    const cells = f.$isSeries ? [values] : (values as unknown[]);
    const row: Record<string, unknown> = showIndex ? { [indexKey]: index[i] } : {};
    columns.forEach((c, j) => (row[c] = cells[j]));
    return row;
  });
}

function uniqueKey(base: string, taken: readonly string[]): string {
  let key = base;
  while (taken.includes(key)) key += "_";
  return key;
}

/** What `show(df)` sends: danfo's own text rendering and our HTML table (with the index, as pandas shows it). */
export function dataFrameBundle(frame: DataFrame | Series): MimeBundle {
  const rows = frameToRows(frame, { index: true });
  const columns = rows.length > 0 ? Object.keys(rows[0]) : ["", ...(frame as unknown as FrameLike).columns.map(String)];
  const html = new Table(rows, columns, { digits: 4, maxRows: 60 }).toHTML();
  return { "text/plain": String(frame.toString()), "text/html": html };
}
