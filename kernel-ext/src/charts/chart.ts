import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { argError, isPlainObject } from "../display/errors.js";
import { DISPLAY, PLAIN_TEXT, type Displayable, type MimeBundle, type PlainTextable } from "../display/protocol.js";
import { describeSpec, renderChart, renderedBundle, type RenderedChart } from "./render.js";

/**
 * A Vega-Lite chart that renders itself. Immutable (the spec is deep-frozen); it renders once, on
 * first use, and keeps the result. In Jupyter: `show(chart)` or leave it as a cell's last value.
 *
 *   const chart = trainingCurves(run);
 *   await show(chart);
 *   await chart.save("results/curves.png");
 */
export class Chart implements Displayable, PlainTextable {
  readonly spec: TopLevelSpec;
  /** One line describing the chart; its `text/plain`. */
  readonly description: string;
  #rendered?: Promise<RenderedChart>;

  constructor(spec: TopLevelSpec, description?: string) {
    if (!isPlainObject(spec)) throw argError("new Chart", "spec", "a Vega-Lite spec object", spec);
    if (description !== undefined && typeof description !== "string") throw argError("new Chart", "description", "a string", description);
    this.spec = deepFreeze(structuredClone(spec));
    this.description = description ?? describeSpec(spec);
  }

  /** Compiles and renders once; later calls share the result. */
  render(): Promise<RenderedChart> {
    this.#rendered ??= renderChart(this.spec, "Chart.render");
    this.#rendered.catch(() => (this.#rendered = undefined));
    return this.#rendered;
  }

  async toSVG(): Promise<string> {
    return (await this.render()).svg;
  }

  /** PNG bytes at 2× the chart's natural size. */
  async toPNG(): Promise<Buffer> {
    return (await this.render()).png;
  }

  /**
   * Writes the chart by the file's extension: `.png`, `.svg`, `.json` (the Vega-Lite spec) or
   * `.html` (a standalone page with the SVG). Returns the path.
   */
  async save(path: string): Promise<string> {
    if (typeof path !== "string" || path === "") throw argError("Chart.save", "path", "a file path ending in .png, .svg, .json or .html", path);
    const ext = extname(path).toLowerCase();
    switch (ext) {
      case ".png": await writeFile(path, await this.toPNG()); break;
      case ".svg": await writeFile(path, await this.toSVG()); break;
      case ".json": await writeFile(path, JSON.stringify(this.spec, null, 1) + "\n"); break;
      case ".html": await writeFile(path, `<!doctype html><meta charset="utf-8"><title>${escapeText(this.description)}</title>\n${await this.toSVG()}\n`); break;
      default: throw argError("Chart.save", "path", "a file path ending in .png, .svg, .json or .html", path);
    }
    return path;
  }

  async [DISPLAY](): Promise<MimeBundle> {
    return renderedBundle(this.spec, await this.render(), this.description);
  }

  [PLAIN_TEXT](): string {
    return this.description;
  }

  toString(): string {
    return this.description;
  }

  toJSON(): TopLevelSpec {
    return this.spec;
  }
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
