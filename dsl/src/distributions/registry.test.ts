import { describe, expect, it } from "vitest";
import { erk } from "./erk.js";
import { distributions } from "./registry.js";
import { uniform } from "./uniform.js";

const mlp = [{ name: "fc1", shape: [784, 300] }, { name: "fc2", shape: [300, 10] }];

describe("distributions registry", () => {
  it("lists and returns the factories by name", () => {
    expect(distributions.names).toEqual(["uniform", "er", "erk", "global", "custom"]);
    expect(distributions.get("erk")).toBe(erk);
    expect(distributions.get("erk")(0.9).allocate(mlp)).toEqual(erk(0.9).allocate(mlp));
  });

  it("names the known distributions for an unknown one", () => {
    expect(() => distributions.get("erdos" as never))
      .toThrow(/^distributions\.get\(name\): expected one of "uniform" \| "er" \| "erk" \| "global" \| "custom", received "erdos"$/);
  });

  it("round-trips every distribution through its JSON config", () => {
    for (const distribution of [uniform(0.8, { denseLast: true }), erk(0.9), distributions.get("global")(0.5),
      distributions.get("er")(0.7), distributions.get("custom")({ fc1: 0.1, fc2: 1 })]) {
      const json = JSON.parse(JSON.stringify(distribution));
      const rebuilt = distributions.fromConfig(json);
      expect(rebuilt.config).toEqual(distribution.config);
      expect(rebuilt.allocate(mlp)).toEqual(distribution.allocate(mlp));
    }
  });

  it("validates configs", () => {
    expect(() => distributions.fromConfig({ name: "erk", sparsity: 1.5 })).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => distributions.fromConfig({ name: "erk" })).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received undefined$/);
    expect(() => distributions.fromConfig({ name: "erk", sparsity: 0.5, denseFirst: true }))
      .toThrow(/^distributions\.fromConfig\(config\.denseFirst\): expected no such option \(known: name, sparsity\), received true$/);
    expect(() => distributions.fromConfig({ name: "snip" })).toThrow(/^distributions\.fromConfig\(config\.name\): expected one of "uniform"/);
    expect(() => distributions.fromConfig("erk")).toThrow(/^distributions\.fromConfig\(config\): expected an object, received "erk"$/);
  });
});
