import { createRequire } from "node:module";
import type { TopLevelSpec } from "vega-lite";
import type { MimeBundle } from "../display/protocol.js";
import { argError, isPlainObject } from "../display/errors.js";
import { FontMetrics, vegaTextWidth } from "./fontMetrics.js";

/**
 * Headless Vega-Lite rendering: vega-lite compiles the spec to Vega, a Vega View with renderer
 * "none" builds the scenegraph and serialises it to SVG, and resvg rasterises the SVG to PNG at
 * 2× (the bundle's metadata gives the natural size, so the PNG shows sharp at the intended size).
 * vega, vega-lite and resvg load on first use.
 */

/** The MIME type JupyterLab, VS Code and nbviewer render Vega-Lite with. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

export interface RenderedChart {
  readonly svg: string;
  /** PNG at `scale`× the natural size. */
  readonly png: Buffer;
  /** Natural size in CSS pixels (the SVG's). */
  readonly width: number;
  readonly height: number;
  /** Warnings vega-lite or vega logged while compiling and rendering (empty for a clean spec). */
  readonly warnings: readonly string[];
}

const PNG_SCALE = 2;
const FONT_FAMILY = "DejaVu Sans";
const fontFiles = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"];

type Vega = typeof import("vega");
type VegaLite = typeof import("vega-lite");
type Resvg = typeof import("@resvg/resvg-js");
let libraries: Promise<{ vega: Vega; vegaLite: VegaLite; resvg: Resvg; fonts: string[] }> | undefined;

function load() {
  libraries ??= (async () => {
    const require = createRequire(import.meta.url);
    const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
    const resvg = require("@resvg/resvg-js") as Resvg;
    const fs = require("node:fs") as typeof import("node:fs");
    const fonts = fontFiles.filter((f) => fs.existsSync(f));
    if (fonts[0] === fontFiles[0]) {
      // Lay text out with the metrics of the font resvg draws with (vega's own guess is ~40% too wide).
      const regular = FontMetrics.fromFile(fontFiles[0]);
      const bold = fonts[1] === fontFiles[1] ? FontMetrics.fromFile(fontFiles[1]) : undefined;
      (vega as unknown as { textMetrics: { width: unknown } }).textMetrics.width = vegaTextWidth(regular, bold);
    }
    return { vega, vegaLite, resvg, fonts };
  })();
  libraries.catch(() => (libraries = undefined));
  return libraries;
}

/** A vega logger that keeps warnings and errors as text instead of printing them. */
function collectingLogger(into: string[]) {
  let level = 2; // vega.Warn
  const text = (args: readonly unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) { into.push(text(args)); return logger; },
    warn(...args: unknown[]) { if (level >= 2) into.push(text(args)); return logger; },
    info() { return logger; },
    debug() { return logger; },
  };
  return logger;
}

export function isVegaLiteSpec(value: unknown): value is TopLevelSpec {
  if (!isPlainObject(value)) return false;
  const schema = value.$schema;
  if (typeof schema === "string") return schema.includes("vega-lite");
  const composite = ["layer", "facet", "hconcat", "vconcat", "concat", "repeat"].some((k) => k in value);
  return ("mark" in value && ("encoding" in value || "data" in value)) || (composite && "data" in value);
}

/** The spec's title or description, for `text/plain`. */
export function describeSpec(spec: TopLevelSpec): string {
  const s = spec as { title?: unknown; description?: unknown; mark?: unknown };
  const title = typeof s.title === "string" ? s.title
    : isPlainObject(s.title) && typeof s.title.text === "string" ? s.title.text : undefined;
  const what = title ?? (typeof s.description === "string" ? s.description : undefined);
  const mark = typeof s.mark === "string" ? s.mark : isPlainObject(s.mark) && typeof s.mark.type === "string" ? s.mark.type : undefined;
  return `<Vega-Lite chart${what ? `: ${what}` : mark ? ` (${mark})` : ""}>`;
}

/** Compiles and renders a Vega-Lite spec to SVG and PNG. Throws when vega-lite rejects the spec. */
export async function renderChart(spec: TopLevelSpec, call = "chartBundle"): Promise<RenderedChart> {
  if (!isPlainObject(spec)) throw argError(call, "spec", "a Vega-Lite spec object", spec);
  const { vega, vegaLite, resvg, fonts } = await load();
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  let compiled;
  try {
    // vega marks the data objects it ingests: give it a copy, not the caller's (or a frozen) spec.
    compiled = vegaLite.compile(structuredClone(spec), { logger: logger as never });
  } catch (error) {
    throw new TypeError(`${call}(spec): vega-lite could not compile the spec: ${error instanceof Error ? error.message : String(error)}`);
  }
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none", logger: logger as never });
  let svg: string;
  try {
    svg = compactPaths(await view.toSVG());
  } finally {
    view.finalize();
  }
  const image = await resvg.renderAsync(svg, {
    fitTo: { mode: "zoom", value: PNG_SCALE },
    background: "white",
    font: {
      loadSystemFonts: fonts.length === 0,
      fontFiles: fonts,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  const png = image.asPng();
  return { svg, png, width: image.width / PNG_SCALE, height: image.height / PNG_SCALE, warnings };
}

/** Rounds path coordinates to 2 decimals (vega writes 16 digits): a dense heatmap's SVG shrinks by half. */
function compactPaths(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_m, d: string) =>
    ` d="${d.replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`);
}

/**
 * Renders a Vega-Lite spec headless into a MIME bundle: the spec itself (front ends with a
 * Vega-Lite renderer draw it interactively), an SVG, a PNG (base64, 2×) and a one-line description.
 */
export async function chartBundle(spec: TopLevelSpec): Promise<MimeBundle> {
  const rendered = await renderChart(spec);
  return renderedBundle(spec, rendered);
}

export function renderedBundle(spec: TopLevelSpec, rendered: RenderedChart, text = describeSpec(spec)): MimeBundle {
  return {
    [VEGALITE_MIME]: spec,
    "image/svg+xml": rendered.svg,
    "image/png": rendered.png.toString("base64"),
    "text/plain": text,
  };
}

export const chartFont = FONT_FAMILY;
