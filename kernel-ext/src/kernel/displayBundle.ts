import { inspect } from "node:util";

/** MIME type → data, as in `display_data` and `execute_result` content. */
export type MimeBundle = Record<string, unknown>;

/** Objects that render themselves return a MIME bundle (or a promise of one) from this method. */
export const jupyterDisplay = Symbol.for("Jupyter.display");

const mimeType = /^[\w.+-]+\/[\w.+-]+$/;

/**
 * The bundle a cell's last value is shown with, as IPython shows `Out[n]`: the value's own
 * bundle when it has one (as the object chose it: no `text/plain` is added), else its `text/plain`
 * rendering. Binary data is base64-encoded, the wire form Jupyter expects.
 */
export async function displayBundle(value: unknown): Promise<MimeBundle> {
  const render = (value as { [jupyterDisplay]?: unknown } | null | undefined)?.[jupyterDisplay];
  if (typeof render !== "function") return { "text/plain": inspect(value) };
  const bundle: unknown = await render.call(value);
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
  return encoded;
}
