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
    // A recipe may already prune and regrow, so its plan offers neither again.
    expectTypeOf(sl.plan(p.toJSON())).toEqualTypeOf<sl.TrainingPlan<"prune" | "regrow">>();
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

describe("dynamic sparse training: .regrow() and .nm()", () => {
  it(".regrow() is offered on a training plan and records itself in the type", () => {
    expectTypeOf(net.sparsify().erk(0.9).random().train(t).regrow("rigl", { every: 100, drop: sl.cosine(0.3), until: 0.75 }))
      .toEqualTypeOf<sl.TrainingPlan<"regrow">>();
    expectTypeOf(net.sparsify().erk(0.9).train(t).regrow("set", { drop: 0.3 })).toEqualTypeOf<sl.TrainingPlan<"regrow">>();
    expectTypeOf(net.sparsify().erk(0.9).train(t).regrow("set")).toEqualTypeOf<sl.TrainingPlan<"regrow">>();
    // GraNet: gradual pruning plus gradient regeneration, in either order.
    expectTypeOf(net.sparsify().train(t).prune(sl.gmp({ to: 0.9, scope: "global" })).regrow("gradient", { drop: sl.cosine(0.5, 0.005) }))
      .toEqualTypeOf<sl.TrainingPlan<"prune" | "regrow">>();
    expectTypeOf(net.sparsify().erk(0.5).train(t).regrow("gradient").prune(sl.gmp({ to: 0.9 }))).toEqualTypeOf<sl.TrainingPlan<"regrow" | "prune">>();
    expectTypeOf(net.sparsify().erk(0.9).train(t).regrow("rigl").run()).toEqualTypeOf<Promise<sl.RunResult>>();
    expectTypeOf(net.sparsify().erk(0.9).train(t).regrow("rigl").toJSON()).toEqualTypeOf<sl.Recipe>();
    expectTypeOf(net.sparsify().train(t).regrow).parameter(0).toEqualTypeOf<sl.RegrowMethod>();
    expectTypeOf(net.sparsify().train(t).regrow).parameter(1).toEqualTypeOf<sl.RegrowOptions | undefined>();
  });

  it(".nm() is a distribution-stage choice whose training plan takes no pruning or regrowth", () => {
    expectTypeOf(net.sparsify().nm(2, 4)).toEqualTypeOf<sl.NmPlan>();
    expectTypeOf(net.sparsify().nm(1, 4, { variant: "decay", decayEnd: 0.5, decayShape: "linear" })).toEqualTypeOf<sl.NmPlan>();
    expectTypeOf(net.sparsify().nm(2, 4).train(t)).toEqualTypeOf<sl.TrainingPlan<"prune" | "regrow">>();
    expectTypeOf(net.sparsify().nm(2, 4).train(t).run()).toEqualTypeOf<Promise<sl.RunResult>>();
  });

  it("specs, schedules and results are typed", () => {
    expectTypeOf(sl.regrow("rigl")).toEqualTypeOf<sl.RegrowSpec>();
    expectTypeOf<sl.RegrowMethod>().toEqualTypeOf<"set" | "rigl" | "gradient">();
    expectTypeOf<sl.RegrowSpec["drop"]>().toEqualTypeOf<sl.DropSchedule>();
    expectTypeOf(sl.cosine(0.3)).toEqualTypeOf<sl.DropSchedule>();
    expectTypeOf(sl.exponential(0.5, 0.01)).toEqualTypeOf<sl.DropSchedule>();
    expectTypeOf<sl.DropSchedule["kind"]>().toEqualTypeOf<"constant" | "cosine" | "exponential">();
    expectTypeOf(sl.nm(2, 4)).toEqualTypeOf<sl.NmSpec>();
    expectTypeOf<sl.NmSpec["variant"]>().toEqualTypeOf<"srste" | "decay">();
    expectTypeOf<sl.Recipe["regrow"]>().toEqualTypeOf<sl.RegrowSpec | undefined>();
    expectTypeOf<sl.Recipe["nm"]>().toEqualTypeOf<sl.NmSpec | undefined>();
    expectTypeOf<sl.RunMetrics["explorationRate"]>().toBeNumber();
    expectTypeOf<sl.RunResult["grown"]>().toEqualTypeOf<ReadonlyMap<string, number>>();
    expectTypeOf<sl.RunResult["dropped"]>().toEqualTypeOf<ReadonlyMap<string, number>>();
    type MaskEvent = Extract<sl.RunEvent, { type: "mask" }>;
    expectTypeOf<MaskEvent["explorationRate"]>().toBeNumber();
    expectTypeOf<MaskEvent["overlapWithInitial"]>().toBeNumber();
    expectTypeOf<MaskEvent["grown"]>().toEqualTypeOf<Readonly<Record<string, number>>>();
    expectTypeOf<sl.HistoryRecord["explorationRate"]>().toBeNumber();
  });

  it("misuse does not compile", () => {
    // @ts-expect-error .regrow() not before .train()
    net.sparsify().erk(0.9).regrow("rigl");
    // @ts-expect-error nor on a criterion plan
    net.sparsify().erk(0.9).random().regrow("set");
    // @ts-expect-error nor on a fresh plan
    net.sparsify().regrow("rigl");
    // @ts-expect-error one regrowth rule per plan
    net.sparsify().erk(0.9).train(t).regrow("set").regrow("rigl");
    // @ts-expect-error not twice around a prune either
    net.sparsify().train(t).regrow("gradient").prune(sl.gmp({ to: 0.9 })).regrow("gradient");
    // @ts-expect-error unknown method
    net.sparsify().erk(0.9).train(t).regrow("lamp");
    // @ts-expect-error drop is a number or a schedule
    net.sparsify().erk(0.9).train(t).regrow("rigl", { drop: "cosine" });
    // @ts-expect-error unknown option
    net.sparsify().erk(0.9).train(t).regrow("rigl", { freq: 100 });
    // @ts-expect-error a recipe's plan may already regrow
    sl.plan({}).regrow("rigl");
    // @ts-expect-error N:M plans keep their own masks: no regrowth
    net.sparsify().nm(2, 4).train(t).regrow("rigl");
    // @ts-expect-error nor gradual pruning
    net.sparsify().nm(2, 4).train(t).prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error N:M replaces the distribution, it does not follow one
    net.sparsify().erk(0.9).nm(2, 4);
    // @ts-expect-error and takes no distribution or criterion after it
    net.sparsify().nm(2, 4).erk(0.5);
    // @ts-expect-error
    net.sparsify().nm(2, 4).random();
    // @ts-expect-error unknown variant
    net.sparsify().nm(2, 4, { variant: "ste" });
    // @ts-expect-error n and m are given positionally, not as options
    net.sparsify().nm(2, 4, { n: 1 });
    // @ts-expect-error an N:M plan runs only after .train()
    void net.sparsify().nm(2, 4).run();
  });
});

describe("lottery tickets and sparse model soups", () => {
  it(".lottery() starts from the dense net; its training plan runs to a LotteryResult", () => {
    expectTypeOf(net.sparsify().lottery({ rounds: 10, rate: 0.2 })).toEqualTypeOf<sl.LotteryPlan>();
    expectTypeOf(net.sparsify().lottery({ rounds: 10, rate: 0.2, rewind: { step: 500 }, controls: ["reinit", "random-mask"] }).train(t))
      .toEqualTypeOf<sl.LotteryTrainingPlan>();
    expectTypeOf(net.sparsify().lottery({ rounds: 3, rate: 0.2, layerRates: { "fc3.kernel": 0.1 } }).train(t).run()).toEqualTypeOf<Promise<sl.LotteryResult>>();
    expectTypeOf(net.sparsify().lottery({ rounds: 3, rate: 0.2 }).train(t).run).parameter(0).toEqualTypeOf<sl.ExperimentRunOptions | undefined>();
    expectTypeOf(net.sparsify().lottery({ rounds: 3, rate: 0.2 }).train(t).toJSON()).toEqualTypeOf<sl.Recipe>();
    expectTypeOf<sl.Recipe["lottery"]>().toEqualTypeOf<sl.LotterySpec | undefined>();
    expectTypeOf<sl.LotteryControl>().toEqualTypeOf<"reinit" | "random-mask">();
    expectTypeOf<ReturnType<sl.LotteryResult["levels"]>[number]["earlyStopIteration"]>().toBeNumber();
  });

  it(".magnitude(goal).soup() runs to a SoupResult; .magnitude(goal) alone trains a pruned net", () => {
    expectTypeOf(net.sparsify().magnitude(0.9)).toEqualTypeOf<sl.MagnitudePlan>();
    expectTypeOf(net.sparsify().magnitude(0.9, { scope: "layer" }).train(t)).toEqualTypeOf<sl.TrainingPlan>();
    expectTypeOf(net.sparsify().magnitude(0.9).soup({ ingredients: 4, vary: "seed", merge: "greedy", phases: 3 })).toEqualTypeOf<sl.SoupPlan>();
    expectTypeOf(net.sparsify().magnitude(0.9).soup({ ingredients: 4, phases: 3 }).train(t).run()).toEqualTypeOf<Promise<sl.SoupResult>>();
    expectTypeOf<sl.Recipe["soup"]>().toEqualTypeOf<sl.SoupSpec | undefined>();
    expectTypeOf(sl.experiment({})).toEqualTypeOf<sl.LotteryTrainingPlan | sl.SoupTrainingPlan>();
    expectTypeOf(sl.jackpot).returns.toEqualTypeOf<Promise<sl.JackpotResult>>();
  });

  it("misuse does not compile", () => {
    // @ts-expect-error a lottery starts dense: not after a distribution
    net.sparsify().erk(0.9).lottery({ rounds: 3, rate: 0.2 });
    // @ts-expect-error IMP prunes by itself: no gradual pruning on top
    net.sparsify().lottery({ rounds: 3, rate: 0.2 }).train(t).prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error nor regrowth
    net.sparsify().lottery({ rounds: 3, rate: 0.2 }).train(t).regrow("rigl");
    // @ts-expect-error an experiment runs only after .train()
    void net.sparsify().lottery({ rounds: 3, rate: 0.2 }).run();
    // @ts-expect-error unknown control
    net.sparsify().lottery({ rounds: 3, rate: 0.2, controls: ["shuffle"] });
    // @ts-expect-error rounds are required
    net.sparsify().lottery({ rate: 0.2 });
    // @ts-expect-error a soup needs a goal sparsity
    net.sparsify().soup({ ingredients: 4, phases: 3 });
    // @ts-expect-error a soup merges by "uniform" or "greedy"
    net.sparsify().magnitude(0.9).soup({ ingredients: 4, phases: 3, merge: "mean" });
    // @ts-expect-error unknown knob
    net.sparsify().magnitude(0.9).soup({ ingredients: 4, phases: 3, vary: "momentum" });
    // @ts-expect-error a soup takes no pruning schedule
    net.sparsify().magnitude(0.9).soup({ ingredients: 4, phases: 3 }).train(t).prune(sl.gmp({ to: 0.9 }));
    // @ts-expect-error .magnitude(goal) takes a number; the criterion form needs a distribution first
    net.sparsify().magnitude({ seed: 1 });
    // @ts-expect-error no soup on a criterion plan other than the magnitude goal
    net.sparsify().erk(0.9).random().soup({ ingredients: 2, phases: 1 });
  });
});
