import { SparselabError } from "../errors.js";
import { shapeSize } from "../masks/shape.js";
import { checkNumberIn, checkPlainObject } from "../validate.js";
import { defineDistribution, layerwiseAllocation } from "./layerwise.js";
import type { CustomConfig, Distribution, LayerwiseAllocation } from "./types.js";

/**
 * A density per tensor name, e.g. from a paper's table. Every prunable tensor needs one, so a
 * renamed layer is an error rather than silently dense. Each keeps round(density·size); the
 * overall budget is their sum.
 */
export function custom(densities: Readonly<Record<string, number>>): Distribution<CustomConfig, LayerwiseAllocation> {
  const entries = Object.entries(checkPlainObject("custom", "densities", densities));
  if (entries.length === 0) throw new SparselabError(`custom(densities): expected a density per tensor name, received {}`);
  const byName = new Map(entries.map(([name, density]) =>
    [name, checkNumberIn("custom", `densities["${name}"]`, density, 0, 1)] as const));
  return defineDistribution({ name: "custom", densities: Object.freeze(Object.fromEntries(byName)) }, (tensors) => {
    const names = tensors.map((tensor) => tensor.name);
    const unknown = [...byName.keys()].filter((name) => !names.includes(name));
    const missing = names.filter((name) => !byName.has(name));
    if (unknown.length > 0 || missing.length > 0) {
      throw new SparselabError(`custom.allocate(tensors): expected a density for exactly the prunable tensors ` +
        `(${quote(names)}), received ` +
        [missing.length ? `none for ${quote(missing)}` : "", unknown.length ? `unknown ${quote(unknown)}` : ""].filter(Boolean).join(" and "));
    }
    const targets = tensors.map((tensor) => byName.get(tensor.name) as number);
    return layerwiseAllocation(tensors, tensors.map((tensor, i) => Math.round(targets[i] * shapeSize(tensor.shape))), targets);
  });
}

function quote(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(", ");
}
