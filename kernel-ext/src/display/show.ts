import { inspect } from "node:util";
import { chartBundle, describeSpec, isVegaLiteSpec } from "../charts/render.js";
import { dataFrameBundle, isDataFrame, isSeries } from "../tables/dataframe.js";
import { argError, checkOptions } from "./errors.js";
import { bundleMetadata, DISPLAY, isDisplayable, PLAIN_TEXT, type MimeBundle } from "./protocol.js";
import { kernelSink, publish, type DisplaySink } from "./sink.js";

export interface ShowOptions {
  /** A display id: `show(x, { id })` creates an output that `show(y, { id, update: true })` replaces. */
  readonly id?: string;
  /** Replace the output shown earlier with the same `id` instead of adding one. */
  readonly update?: boolean;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (v: unknown): v is Uint8Array => v instanceof Uint8Array && PNG_MAGIC.every((b, i) => v[i] === b);

type MaybePromise<T> = T | Promise<T>;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";

function checkBundle(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw argError('[Symbol.for("Jupyter.display")]', "", "a MIME bundle object", value);
  }
  return value as Record<string, unknown>;
}

/** A displayable's bundle in wire form: binary data base64, `text/plain` always present. */
function normalise(raw: unknown, value: unknown): MimeBundle {
  const bundle: Record<string, unknown> = {};
  for (const [mime, data] of Object.entries(checkBundle(raw))) {
    bundle[mime] = data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") : data;
  }
  if (typeof bundle["text/plain"] !== "string") bundle["text/plain"] = plainFallback(bundle, value);
  return bundle as MimeBundle;
}

function plainFallback(bundle: Record<string, unknown>, value: unknown): string {
  if (typeof bundle["text/markdown"] === "string") return bundle["text/markdown"];
  if (typeof bundle["text/html"] === "string") return bundle["text/html"].replace(/<[^>]*>/g, "").trim() || inspect(value);
  return inspect(value);
}

/**
 * The MIME bundle for any value: its own (display protocol), an HTML table for danfo frames, a
 * rendered chart for Vega-Lite specs, PNG bytes as an image, else `util.inspect` text.
 * Synchronous when the value's bundle is.
 */
export function bundleOf(value: unknown): MaybePromise<MimeBundle> {
  if (isDisplayable(value)) {
    const raw: unknown = value[DISPLAY]();
    return isThenable(raw) ? Promise.resolve(raw).then((r) => normalise(r, value)) : normalise(raw, value);
  }
  if (isDataFrame(value) || isSeries(value)) return dataFrameBundle(value);
  if (isVegaLiteSpec(value)) return chartBundle(value);
  if (isPng(value)) return { "image/png": Buffer.from(value).toString("base64"), "text/plain": `<PNG image, ${value.length} bytes>` };
  return { "text/plain": typeof value === "string" ? value : inspect(value) };
}

/** The `text/plain` of a value, without building expensive renderings (a chart is not rendered for its text). */
export function textOf(value: unknown): MaybePromise<string> {
  if (value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as Partial<Record<typeof PLAIN_TEXT, unknown>>)[PLAIN_TEXT] === "function") {
    return (value as { [PLAIN_TEXT](): string })[PLAIN_TEXT]();
  }
  if (isVegaLiteSpec(value)) return describeSpec(value);
  if (isDataFrame(value) || isSeries(value)) return String(value.toString());
  const bundle = bundleOf(value);
  return bundle instanceof Promise ? bundle.then((b) => b["text/plain"]) : bundle["text/plain"];
}

/**
 * Shows a value as one output. In a Jupyter kernel (tslab's or sparselab's) this sends one
 * `display_data` with the value's MIME bundle to the cell that called it; with `{ id, update: true }`
 * it replaces the output created earlier with that id. Outside a kernel (scripts, CI, tests) it
 * writes the `text/plain` rendering to stdout.
 *
 * Accepts anything: objects with the display protocol (charts, tables, sparselab results), danfo
 * DataFrames and Series, Vega-Lite specs, PNG bytes, and any other value (as `util.inspect` text).
 * The output is sent synchronously when the value's bundle is synchronous (tables, frames, text),
 * so it lands in order with `console.log`; charts render first, so await them.
 */
export function show(value: unknown, options?: ShowOptions): Promise<void> {
  const call = "show";
  let id: string | undefined;
  let update = false;
  let sink: DisplaySink | undefined;
  try {
    const opts = checkOptions(call, options, ["id", "update"]);
    if (opts.id !== undefined && (typeof opts.id !== "string" || opts.id === "")) throw argError(call, "options.id", "a non-empty string", opts.id);
    if (opts.update !== undefined && typeof opts.update !== "boolean") throw argError(call, "options.update", "a boolean", opts.update);
    id = opts.id as string | undefined;
    update = opts.update === true;
    if (update && id === undefined) throw argError(call, "options.id", "the id of the display to update (update: true needs an id)", id);
    // The sink belongs to the cell running now: take it before any await, so a chart that
    // finishes rendering after the cell ended still lands in the cell that asked for it.
    sink = kernelSink();
  } catch (error) {
    return Promise.reject(error);
  }
  try {
    if (sink) {
      const target = sink;
      const send = (bundle: MimeBundle) => publish(target, bundle, bundleMetadata(bundle), id, update);
      const bundle = bundleOf(value);
      if (bundle instanceof Promise) return bundle.then(send);
      send(bundle);
    } else {
      const text = textOf(value);
      const write = (t: string) => void process.stdout.write(t.endsWith("\n") ? t : t + "\n");
      if (text instanceof Promise) return text.then(write);
      write(text);
    }
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}
