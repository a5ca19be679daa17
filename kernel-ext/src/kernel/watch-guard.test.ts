import { describe, expect, it } from "vitest";
import { ignorePendingRebuild } from "./watch-guard.js";

describe("ignorePendingRebuild", () => {
  it("drops tslab's pending-rebuild error and passes arguments through", () => {
    const seen: unknown[] = [];
    const guarded = ignorePendingRebuild((file: string, kind: number) => {
      seen.push([file, kind]);
      throw new Error("Unexpected pending rebuildTimer");
    });
    expect(() => guarded("a.ts", 1)).not.toThrow();
    expect(seen).toEqual([["a.ts", 1]]);
  });
  it("lets every other error through", () => {
    expect(() => ignorePendingRebuild(() => { throw new Error("disk on fire"); })()).toThrow("disk on fire");
  });
});
