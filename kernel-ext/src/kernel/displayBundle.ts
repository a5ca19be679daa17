import { inspect } from "node:util";
import { bundleMetadata, DISPLAY, isDisplayable } from "../display/protocol.js";

/** MIME type → data, as in `display_data` and `execute_result` content. */
export type MimeBundle = Record<string, unknown>;

/** The `data` and `metadata` of an `execute_result`. */
export interface Rendered {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

const mimeType = /^[\w.+-]+\/[\w.+-]+$/;

/**
 * The bundle a cell's last value is shown with, as IPython shows `Out[n]`: the value's own
 * bundle when it has one (as the object chose it: no `text/plain` is added), else its `text/plain`
 * rendering. Binary data is base64-encoded, the wire form Jupyter expects; the metadata gives a
 * 2× chart PNG its display size (the display protocol's `bundleMetadata`).
 */
export async function displayBundle(value: unknown): Promise<Rendered> {
  if (!isDisplayable(value)) return { data: { "text/plain": inspect(value) }, metadata: {} };
  const bundle: unknown = await value[DISPLAY]();
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) {
    throw new TypeError(`[Symbol.for("Jupyter.display")](): expected a MIME bundle object, received ${inspect(bundle)}`);
  }
  const encoded: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle)) {
    if (!mimeType.test(mime)) {
      throw new TypeError(`[Symbol.for("Jupyter.display")](): expected MIME types as keys, received ${inspect(mime)}`);
    }
    encoded[mime] = data instanceof Uint8Array ? Buffer.from(data).toString("base64") : data;
  }
  return { data: encoded, metadata: bundleMetadata(encoded) };
}
