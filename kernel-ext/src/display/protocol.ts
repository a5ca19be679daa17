/**
 * The display protocol (Deno's kernel convention, `cli/js/40_jupyter.js`): an object that can
 * show itself in Jupyter has a method under `Symbol.for("Jupyter.display")` returning a MIME
 * bundle, or a promise of one. The kernel calls it on a cell's last value to build an
 * `execute_result`; `show()` calls it to send a `display_data`. Nothing here does I/O.
 */

/** `Symbol.for("Jupyter.display")`: the same symbol in every package and realm that asks for it. */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/**
 * MIME type → data, as in Jupyter's `display_data` / `execute_result` content. Plain JSON: text
 * as strings, binary images base64-encoded, JSON types as objects. `text/plain` is always there
 * (it is what a terminal, a script and a diff of the notebook see).
 */
export interface MimeBundle {
  "text/plain": string;
  "text/html"?: string;
  "text/markdown"?: string;
  /** Base64-encoded PNG. */
  "image/png"?: string;
  "image/svg+xml"?: string;
  "application/vnd.vegalite.v5+json"?: object;
  "application/json"?: unknown;
  [mime: string]: unknown;
}

/** Anything that renders itself: `show(x)` and the kernel's `Out[n]` use this. */
export interface Displayable {
  [DISPLAY](): MimeBundle | Promise<MimeBundle>;
}

/** Per-MIME-type metadata sent next to a bundle (`{"image/png": {width, height}}`). */
export type MimeMetadata = Record<string, Record<string, unknown>>;

export function isDisplayable(value: unknown): value is Displayable {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as Partial<Displayable>)[DISPLAY] === "function";
}

/**
 * A cheap `text/plain` rendering, for objects whose full bundle is expensive (a chart renders an
 * SVG and a PNG): `show()` outside a kernel uses it instead of building the bundle. Optional.
 */
export const PLAIN_TEXT: unique symbol = Symbol.for("sparselab.display.text") as never;

export interface PlainTextable {
  [PLAIN_TEXT](): string;
}

const svgSize = /^\s*(?:<\?xml[^>]*>\s*)?<svg\b[^>]*?\swidth="([\d.]+)(?:px)?"[^>]*?\sheight="([\d.]+)(?:px)?"/;
const svgSizeSwapped = /^\s*(?:<\?xml[^>]*>\s*)?<svg\b[^>]*?\sheight="([\d.]+)(?:px)?"[^>]*?\swidth="([\d.]+)(?:px)?"/;

/**
 * The metadata a bundle should travel with. Charts carry their PNG at 2× resolution; when a
 * bundle has both an SVG and a PNG, the PNG's display size is the SVG's natural size, so front
 * ends that pick the PNG show it sharp at the intended size. Kernels building an
 * `execute_result` from a bundle should send this as its `metadata`.
 */
export function bundleMetadata(bundle: Readonly<Record<string, unknown>>): MimeMetadata {
  const svg = bundle["image/svg+xml"];
  if (typeof bundle["image/png"] !== "string" || typeof svg !== "string") return {};
  const head = svg.slice(0, 2000);
  const m = svgSize.exec(head);
  const swapped = m ? undefined : svgSizeSwapped.exec(head);
  const width = Number(m ? m[1] : swapped?.[2]);
  const height = Number(m ? m[2] : swapped?.[1]);
  return Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0
    ? { "image/png": { width, height } }
    : {};
}
