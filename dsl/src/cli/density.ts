import { distributions } from "../distributions/index.js";
import { parseNetSpec, prunableTensors } from "../nets/index.js";
import { argError } from "../errors.js";
import { numberFlag, parseFlags } from "./args.js";

const USAGE = "sparselab density --net mlp:784-300-100-10 --dist uniform|er|erk --sparsity S [--dense-first] [--dense-last] [--json]";

/** Prints the per-layer kept counts a distribution gives a net, without training anything. */
export function densityCommand(argv: string[]): string {
  const { values, positionals } = parseFlags("density", argv, {
    net: { type: "string" }, dist: { type: "string" }, sparsity: { type: "string" },
    "dense-first": { type: "boolean" }, "dense-last": { type: "boolean" }, json: { type: "boolean" },
  });
  if (positionals.length > 0) throw argError("sparselab density", "arguments", `only --flags (usage: ${USAGE})`, positionals[0]);
  if (!values.net) throw argError("sparselab density", "--net", `a net (usage: ${USAGE})`, values.net);
  const tensors = prunableTensors(parseNetSpec(values.net as string, 0, "sparselab density"));
  const dist = (values.dist as string | undefined) ?? "erk";
  if (!["uniform", "er", "erk"].includes(dist)) throw argError("sparselab density", "--dist", '"uniform" | "er" | "erk"', dist);
  const sparsity = numberFlag("density", "sparsity", values.sparsity as string | undefined);
  const config = dist === "uniform"
    ? { name: dist, sparsity, denseFirst: values["dense-first"] ?? false, denseLast: values["dense-last"] ?? false }
    : { name: dist, sparsity };
  const allocation = distributions.fromConfig(config).allocate(tensors);
  if (allocation.kind !== "layerwise") throw new Error("unreachable: layer-wise distributions allocate per layer");
  const result = {
    layers: allocation.layers.map(({ name, shape, total, kept, density }) => ({ name, shape, total, kept, density })),
    overall: { total: allocation.total, kept: allocation.kept, density: allocation.density },
  };
  if (values.json) return JSON.stringify(result);
  const rows = result.layers.map((l) => `${l.name.padEnd(16)} ${`[${l.shape.join("×")}]`.padEnd(14)} ${String(l.kept).padStart(9)} / ${String(l.total).padEnd(9)} ${l.density.toFixed(4)}`);
  return [...rows, `${"overall".padEnd(31)}${String(result.overall.kept).padStart(9)} / ${String(result.overall.total).padEnd(9)} ${result.overall.density.toFixed(4)}`].join("\n");
}
