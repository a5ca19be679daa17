import { createRequire } from "node:module";
import type { MimeBundle, MimeMetadata } from "./protocol.js";

/**
 * Where display messages go inside a kernel. tslab (1.0.22, pinned) keeps the sink of the running
 * cell in the module-level `lastWriteDisplayData` of its internal `tslab/dist/jupyter.js`: its
 * handler (and sparselab's, which subclasses it) sets it before each cell to a function that
 * publishes `display_data`, or `update_display_data` when `update` is true, with the cell's
 * request as parent. tslab's own `display.html()` / `newDisplay()` write through it.
 *
 * We look for that module in Node's module cache rather than requiring it: the copy that matters
 * is the one the running kernel loaded (a notebook may resolve a different tslab install than the
 * kernel's), and outside a kernel it is not loaded at all, so requiring it would only load tslab
 * (and zeromq) for nothing. No tslab module with a sink set ⇒ not in a kernel.
 */

/** The content of a `display_data` message. */
export interface DisplayMessage {
  data: MimeBundle;
  metadata: MimeMetadata;
  transient: { display_id?: string };
}

export type DisplaySink = (message: DisplayMessage, update: boolean) => void;

const moduleCache = createRequire(import.meta.url).cache;
const tslabJupyterFile = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/** The running kernel's display sink, or undefined outside a kernel (scripts, CI, tests). */
export function kernelSink(): DisplaySink | undefined {
  for (const [file, mod] of Object.entries(moduleCache)) {
    if (!tslabJupyterFile.test(file)) continue;
    const sink = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof sink === "function") return sink as DisplaySink;
  }
  return undefined;
}

/** True inside a tslab-based kernel (tslab's own or sparselab's) once a cell has started. */
export function inKernel(): boolean {
  return kernelSink() !== undefined;
}

/** Sends one bundle through a sink: a new output, or with `update` an in-place update of `id`. */
export function publish(sink: DisplaySink, data: MimeBundle, metadata: MimeMetadata, id: string | undefined, update: boolean): void {
  sink({ data, metadata, transient: id === undefined ? {} : { display_id: id } }, update);
}
