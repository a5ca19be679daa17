/**
 * Type tests (vitest typecheck; not executed): a fine-tuning plan runs only once a method is
 * chosen, and the result's type says what the method produced (LoRA: an adapter).
 */
import { describe, expectTypeOf, it } from "vitest";
import * as sl from "../index.js";

declare const pre: sl.Net;
declare const task: sl.Task;
const t = { task, steps: 100 };

describe("fine-tuning plan types", () => {
  it("choosing a method returns a runnable plan of that method", () => {
    expectTypeOf(pre.finetune(t)).toEqualTypeOf<sl.FinetunePlan>();
    expectTypeOf(pre.finetune(t).s2ft({ heads: 1, channels: 8 })).toEqualTypeOf<sl.MethodPlan<"s2ft">>();
    expectTypeOf(pre.finetune(t).ltsft({ budget: 0.01 }).run()).toEqualTypeOf<Promise<sl.FinetuneResult<"ltsft">>>();
    expectTypeOf(pre.finetune(t).sara({ threshold: 2e-3 }).config.threshold).toEqualTypeOf<number>();
    // @ts-expect-error: a plan without a method cannot run
    void pre.finetune(t).run;
    // @ts-expect-error: a method plan is final (no second method)
    void pre.finetune(t).full().lora;
    // @ts-expect-error: s2ft needs heads and channels
    void pre.finetune(t).s2ft({ heads: 1 });
  });

  it("LoRA results carry the adapter; the others a delta only", async () => {
    const lora = await pre.finetune(t).lora({ rank: 4 }).run();
    expectTypeOf(lora.adapter).toEqualTypeOf<sl.finetune.LoraAdapter>();
    const s2ft = await pre.finetune(t).s2ft({ heads: 1, channels: 8 }).run();
    expectTypeOf(s2ft.adapter).toEqualTypeOf<undefined>();
    expectTypeOf(s2ft.delta).toEqualTypeOf<sl.SparseDelta>();
    expectTypeOf(sl.compose(lora.delta, s2ft.delta).applyTo(pre)).toEqualTypeOf<sl.Net>();
  });
});
