/**
 * Type tests (vitest typecheck; not executed): the builder's stages offer only the calls that make
 * sense at that point, and each call's result type says which stage it reached.
 */
import { describe, expectTypeOf, it } from "vitest";
import * as sl from "../index.js";

declare const data: sl.datasets.Dataset;
declare const net: sl.Net;
const t = { data, epochs: 3, batchSize: 128, optimizer: sl.sgd(0.1, { momentum: 0.9 }) };

describe("stage types", () => {
  it("each call returns the next stage", () => {
    expectTypeOf(net.sparsify()).toEqualTypeOf<sl.SparsifyPlan>();
    expectTypeOf(sl.sparsify(net)).toEqualTypeOf<sl.SparsifyPlan>();
    expectTypeOf(net.sparsify().erk(0.9)).toEqualTypeOf<sl.DistributedPlan>();
    expectTypeOf(net.sparsify().uniform(0.9, { denseFirst: true })).toEqualTypeOf<sl.DistributedPlan>();
    expectTypeOf(net.sparsify().custom({ "fc1.kernel": 0.1 })).toEqualTypeOf<sl.DistributedPlan>();
    expectTypeOf(net.sparsify().erk(0.9).random()).toEqualTypeOf<sl.CriterionPlan>();
    expectTypeOf(net.sparsify().erk(0.9).synflow({ seed: 2 })).toEqualTypeOf<sl.CriterionPlan>();
    expectTypeOf(net.sparsify().erk(0.9).random().train(t)).toEqualTypeOf<sl.TrainingPlan>();
    expectTypeOf(net.sparsify().erk(0.9).train(t)).toEqualTypeOf<sl.TrainingPlan>();
    expectTypeOf(net.sparsify().train(t)).toEqualTypeOf<sl.TrainingPlan>();
    expectTypeOf(net.sparsify().train(t).prune(sl.gmp({ to: 0.9 }))).toEqualTypeOf<sl.PrunedTrainingPlan>();
  });

  it("a runnable plan runs to a RunResult and serialises to a Recipe", () => {
    const p = net.sparsify().erk(0.9).random().train(t);
    expectTypeOf(p.run()).toEqualTypeOf<Promise<sl.RunResult>>();
    expectTypeOf(p.run).parameter(0).toEqualTypeOf<sl.RunOptions | undefined>();
    expectTypeOf(p.toJSON()).toEqualTypeOf<sl.Recipe>();
    expectTypeOf(p.prune(sl.gmp({ to: 0.95 })).run()).toEqualTypeOf<Promise<sl.RunResult>>();
    expectTypeOf(sl.plan(p.toJSON())).toEqualTypeOf<sl.TrainingPlan | sl.PrunedTrainingPlan>();
    expectTypeOf(sl.plan).parameter(0).toBeUnknown();
  });

  it("a RunResult's parts are typed", () => {
    type R = Awaited<ReturnType<sl.TrainingPlan["run"]>>;
    expectTypeOf<R["metrics"]>().toEqualTypeOf<sl.RunMetrics>();
    expectTypeOf<R["metrics"]["testAccuracy"]>().toBeNumber();
    expectTypeOf<R["masks"]>().toEqualTypeOf<sl.MaskSet>();
    expectTypeOf<R["net"]>().toEqualTypeOf<sl.Net>();
    expectTypeOf<R["backend"]>().toEqualTypeOf<sl.BackendName>();
    expectTypeOf<R["recipe"]>().toEqualTypeOf<sl.Recipe>();
    expectTypeOf<R["report"]>().toEqualTypeOf<sl.MaskSetReport>();
  });

  it("recipes and specs are readonly data", () => {
    expectTypeOf<sl.Recipe["version"]>().toEqualTypeOf<1>();
    expectTypeOf(sl.gmp({ to: 0.9 })).toEqualTypeOf<sl.GmpSpec>();
    expectTypeOf<sl.GmpSpec["scope"]>().toEqualTypeOf<"layer" | "global">();
    expectTypeOf(sl.sgd(0.1)).toEqualTypeOf<sl.OptimizerSpec>();
    expectTypeOf<sl.CriterionName>().toEqualTypeOf<"random" | "magnitude" | "snip" | "grasp" | "synflow">();
  });
});

describe("misuse does not compile", () => {
  it("a criterion needs a distribution first", () => {
    // @ts-expect-error .random() is not available before a distribution
    net.sparsify().random();
    // @ts-expect-error nor .magnitude()
    net.sparsify().magnitude({ seed: 1 });
  });

  it("one distribution and one criterion per plan", () => {
    // @ts-expect-error a second distribution
    net.sparsify().erk(0.9).uniform(0.5);
    // @ts-expect-error a second criterion
    net.sparsify().erk(0.9).random().snip();
    // @ts-expect-error a distribution after the criterion
    net.sparsify().erk(0.9).random().erk(0.8);
  });

  it(".prune() only on a training plan, and only once", () => {
    // @ts-expect-error not before .train()
    net.sparsify().prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error not on a distributed plan
    net.sparsify().erk(0.5).prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error not on a criterion plan
    net.sparsify().erk(0.5).random().prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error not twice
    net.sparsify().train(t).prune(sl.gmp({ to: 0.9 })).prune(sl.gmp({ to: 0.95 }));
    // @ts-expect-error a recipe's plan may already prune
    sl.plan({}).prune(sl.gmp({ to: 0.9 }));
  });

  it(".run() and .toJSON() only after .train()", () => {
    // @ts-expect-error
    void net.sparsify().run();
    // @ts-expect-error
    void net.sparsify().erk(0.9).run();
    // @ts-expect-error
    void net.sparsify().erk(0.9).random().run();
    // @ts-expect-error
    net.sparsify().erk(0.9).random().toJSON();
    // @ts-expect-error .train() once
    net.sparsify().train(t).train(t);
  });

  it("arguments are checked", () => {
    // @ts-expect-error train needs data
    net.sparsify().train({ epochs: 3, batchSize: 128, optimizer: sl.sgd(0.1) });
    // @ts-expect-error an optimizer spec needs a learning rate
    net.sparsify().train({ ...t, optimizer: { name: "sgd" } });
    // @ts-expect-error unknown optimizer
    net.sparsify().train({ ...t, optimizer: { name: "lion", lr: 0.1 } });
    // @ts-expect-error sparsity is a number
    net.sparsify().erk("0.9");
    // @ts-expect-error scope is "layer" | "global"
    sl.gmp({ to: 0.9, scope: "net" });
    // @ts-expect-error criterion options take only a seed
    net.sparsify().erk(0.9).random({ rate: 0.1 });
    // @ts-expect-error unknown backend
    void net.sparsify().train(t).run({ backend: "webgl" });
  });
});
