/** Full fine-tuning: every parameter trains (the baseline every sparse method is measured against). */
import { Optimizer } from "../../train/optimizers.js";
import { SparseDelta } from "../delta.js";
import { disposeAll, sizeOf, snapshotOf, stepReporter, variableOf, type MethodContext, type MethodOutcome } from "../context.js";
import { fitSteps, optimizerStateBytes } from "../train.js";

export async function runFull(ctx: MethodContext): Promise<MethodOutcome> {
  const { pre, train } = ctx;
  const variables = new Map([...pre.params].map(([name, v]) => [name, variableOf(v, undefined, name)]));
  const optimizer = new Optimizer(train.optimizer);
  try {
    const fit = await fitSteps({
      forward: (x) => pre.apply(x, variables), variables, task: ctx.task, train, optimizer, onStep: stepReporter(ctx, "full", "train"),
    });
    const delta = SparseDelta.difference(pre, pre.snapshot(), snapshotOf(variables), { meta: { method: "full" } });
    return {
      delta, trainableParameters: sizeOf(variables), optimizerStateBytes: optimizerStateBytes(optimizer, variables.keys()),
      stepMs: fit.stepMs, steps: fit.steps, losses: fit.losses, details: {},
    };
  } finally {
    optimizer.dispose();
    disposeAll(variables);
  }
}
