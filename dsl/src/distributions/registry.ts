import { checkKnownKeys, checkOneOf, checkPlainObject } from "../validate.js";
import { custom } from "./custom.js";
import { er } from "./er.js";
import { erk } from "./erk.js";
import { global } from "./global.js";
import type { Distribution } from "./types.js";
import { uniform } from "./uniform.js";

const factories = { uniform, er, erk, global, custom } as const;

export type DistributionName = keyof typeof factories;

const names = Object.freeze(Object.keys(factories) as DistributionName[]);

/** The options each name accepts in a recipe, besides `name`. */
const configKeys: Record<DistributionName, readonly string[]> = {
  uniform: ["sparsity", "denseFirst", "denseLast"],
  er: ["sparsity"],
  erk: ["sparsity"],
  global: ["sparsity"],
  custom: ["densities"],
};

function get<N extends DistributionName>(name: N): (typeof factories)[N] {
  return factories[checkOneOf("distributions.get", "name", name, names) as N];
}

/** Rebuilds a distribution from its JSON form (`distribution.toJSON()`), validating every field. */
function fromConfig(config: unknown): Distribution {
  const call = "distributions.fromConfig";
  const fields = checkPlainObject(call, "config", config);
  const name = checkOneOf(call, "config.name", fields.name, names);
  checkKnownKeys(call, "config", fields, ["name", ...configKeys[name]]);
  switch (name) {
    case "uniform": {
      const { name: _, sparsity, ...options } = fields;
      return uniform(sparsity as number, options);
    }
    case "custom":
      return custom(fields.densities as Record<string, number>);
    case "er":
    case "erk":
    case "global":
      return factories[name](fields.sparsity as number);
  }
}

/** The string registry the builder and recipes use: `distributions.get("erk")(0.9)`. */
export const distributions = Object.freeze({ names, get, fromConfig });
