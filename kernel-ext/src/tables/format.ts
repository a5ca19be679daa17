/** Cell formatting shared by the HTML and the text renderings of tables. */

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c]);
}

/**
 * One cell as text: integers as they are, other numbers with `digits` decimals (exponent notation
 * when that would hide the value), missing values empty, objects as compact JSON.
 */
export function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value, digits);
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof value === "symbol" || typeof value === "function") return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  try {
    const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" ? Number(formatNumber(v, digits)) : v));
    if (json === undefined) return String(value);
    return json.length > 80 ? json.slice(0, 77) + "..." : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9 || (magnitude > 0 && magnitude < 10 ** -digits)) return value.toExponential(Math.max(digits - 1, 1));
  return value.toFixed(digits);
}

/** Visible width of a string in a monospace terminal (code points; good enough for tables). */
export function textWidth(text: string): number {
  return [...text].length;
}

export function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - textWidth(text)));
  return align === "right" ? fill + text : text + fill;
}
