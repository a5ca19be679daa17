import type { TopLevelSpec } from "vega-lite";
import { chartFont } from "./render.js";

/** Vega-Lite 5 is what Jupyter front ends render; the specs here use nothing newer. */
export const VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export const PANEL = { width: 320, height: 200 } as const;

/** Config shared by every chart: the font the PNG renderer has, quiet axes, white background. */
export const baseConfig = {
  font: chartFont,
  background: "white",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start" as const, subtitleFontSize: 11, subtitleColor: "#555" },
};

/** A top-level spec with schema, config, title and description filled in. */
export function topLevel(body: Record<string, unknown>, title: string | { text: string; subtitle?: string } | undefined, description: string): TopLevelSpec {
  return {
    $schema: VEGALITE_SCHEMA,
    ...(title === undefined ? {} : { title }),
    description,
    ...body,
    config: baseConfig,
  } as unknown as TopLevelSpec;
}

/** Colour order for a categorical field, keeping the caller's series order. */
export const categoryScheme = "tableau10";
