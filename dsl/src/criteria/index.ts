import { argError } from "../errors.js";
import { CRITERIA, type Criterion, type CriterionName } from "./criterion.js";
import { grasp } from "./grasp.js";
import { magnitude } from "./magnitude.js";
import { random } from "./random.js";
import { snip } from "./snip.js";
import { synflow } from "./synflow.js";

export { CRITERIA, type Criterion, type CriterionName, type CriterionContext } from "./criterion.js";
export { selectTopK, type Budget, type Scores } from "./select.js";
export { magnitudeScores } from "./magnitude.js";

const registry: Record<CriterionName, Criterion> = { random, magnitude, snip, grasp, synflow };

export function criterion(name: unknown, call = "criterion"): Criterion {
  if (typeof name !== "string" || !(CRITERIA as readonly string[]).includes(name)) {
    throw argError(call, "criterion", `one of ${CRITERIA.map((c) => JSON.stringify(c)).join(" | ")}`, name);
  }
  return registry[name as CriterionName];
}
