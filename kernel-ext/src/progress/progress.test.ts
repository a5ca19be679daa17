import type { MaskSetReport, RunEvent } from "sparselab";
import { describe, expect, it } from "vitest";
import type { DisplayMessage } from "../display/sink.js";
import { progressBar, type ProgressOptions } from "./bar.js";
import { formatDuration, formatRate, progressText, textBar } from "./render.js";

const report = (density: number): MaskSetReport => ({ layers: [], overall: { total: 100, kept: density * 100, density } });
const start: RunEvent = { type: "start", totalSteps: 100, epochs: 2, stepsPerEpoch: 50, report: report(0.1) };
const step = (n: number, loss = 1): RunEvent => ({ type: "step", step: n, epoch: n <= 50 ? 1 : 2, loss, lr: 0.1 });
const epoch = (n: number, valAccuracy: number): RunEvent => ({
  type: "epoch", step: n * 50, epoch: n,
  record: { epoch: n, step: n * 50, lr: 0.1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy, density: 0.1, explorationRate: 0.1, seconds: 1 },
});
const end: RunEvent = { type: "end", step: 100, testAccuracy: 0.875, testLoss: 0.4 };

/** A bar drawing into a fake notebook, on a clock the test moves by hand. */
function kernelBar(options: ProgressOptions = {}) {
  let now = 0;
  const sent: { message: DisplayMessage; update: boolean }[] = [];
  const bar = progressBar({ output: "kernel", sink: (message, update) => sent.push({ message, update }), clock: () => now, ...options });
  return { bar, sent, at: (ms: number) => (now = ms) };
}

function textBarOn(isTTY: boolean, options: ProgressOptions = {}) {
  let now = 0;
  const written: string[] = [];
  const bar = progressBar({ stream: { write: (s: string) => written.push(s), isTTY, columns: 200 }, clock: () => now, ...options });
  return { bar, written, at: (ms: number) => (now = ms) };
}

describe("progressBar in a notebook", () => {
  it("draws many events within 250 ms once", () => {
    const { bar, sent, at } = kernelBar();
    for (let i = 1; i <= 40; i++) {
      at(i * 6); // 6 ms apart: all 40 within 240 ms
      bar(step(i));
    }
    expect(sent).toHaveLength(1);
    expect(bar.renders).toBe(1);
  });

  it("redraws at most once per interval, and always draws the end", () => {
    const { bar, sent, at } = kernelBar();
    at(0);
    bar(start); // drawn (first)
    for (let t = 10; t <= 990; t += 10) {
      at(t);
      bar(step(t / 10));
    }
    // draws at 250, 500, 750 (each ≥ 250 ms after the previous)
    expect(sent).toHaveLength(4);
    at(995);
    bar(end); // 5 ms after a step: drawn anyway
    expect(sent).toHaveLength(5);
    expect(sent.at(-1)!.message.data["text/plain"]).toContain("test 87.50%");
  });

  it("creates one display and updates it in place", () => {
    const { bar, sent, at } = kernelBar({ label: "rigl <90%>" });
    at(0);
    bar(start);
    at(300);
    bar(step(30));
    at(600);
    bar(end);
    const ids = new Set(sent.map((s) => s.message.transient.display_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe(bar.displayId);
    expect(sent.map((s) => s.update)).toEqual([false, true, true]);
    const html = sent[1].message.data["text/html"] as string;
    expect(html).toContain("<b>rigl &lt;90%&gt;</b>");
    expect(html).toContain("width:30.0%");
    expect(sent[1].message.data["text/plain"]).toMatch(/^rigl <90%> ▕.*▏ 30% 30\/100 · epoch 1\/2 · loss 1\.0000 · density 10\.0% · 100 steps\/s · ETA 1s$/);
  });

  it("starts a new display for a second run through the same listener", () => {
    const { bar, sent, at } = kernelBar();
    at(0);
    bar(start);
    bar(end);
    const first = bar.displayId;
    at(1000);
    bar(start);
    expect(bar.displayId).not.toBe(first);
    expect(sent.at(-1)!.update).toBe(false);
    expect(bar.state.testAccuracy).toBeUndefined();
  });

  it("shows the smoothed loss, validation accuracy, density and ETA", () => {
    const { bar, at } = kernelBar({ smoothing: 0.5 });
    at(0);
    bar(start);
    at(1000);
    bar(step(1, 4));
    bar(step(2, 2));
    // debiased EMA with β = 0.5: (0.5·0.5·4 + 0.5·2) / (1 − 0.25) = 2 / 0.75
    expect(bar.state.loss).toBeCloseTo(8 / 3, 10);
    at(2000);
    bar(epoch(1, 0.8125));
    bar({ type: "mask", step: 50, report: report(0.05), dropped: {}, grown: {}, explorationRate: 0.1, overlapWithInitial: 1 });
    expect(bar.state).toMatchObject({ valAccuracy: 0.8125, density: 0.05, step: 50, status: "running" });
    expect(bar.state.rate).toBe(25); // 50 steps in 2 s
    expect(bar.state.eta).toBe(2); // 50 steps left
  });

  it("never throws into the run, even when the display fails", () => {
    const written: string[] = [];
    const bar = progressBar({
      output: "kernel", sink: () => { throw new Error("Not ready"); }, clock: () => 0,
      stream: { write: (s: string) => written.push(s) },
    });
    expect(() => bar(start)).not.toThrow();
    expect(() => bar({ type: "step" } as never)).not.toThrow();
    expect(() => bar(null as never)).not.toThrow();
    bar(end);
    expect(written[0]).toMatch(/progress display failed: Not ready; continuing with log lines/);
    expect(written.at(-1)).toMatch(/100% 100\/100 .* test 87\.50% .* done in 0s\n$/);
  });
});

describe("progressBar in a terminal and in logs", () => {
  it("rewrites one line with \\r in a terminal, ending with a newline", () => {
    const { bar, written, at } = textBarOn(true);
    at(0);
    bar(start);
    at(500);
    bar(step(50));
    at(501);
    bar(step(51));
    at(900);
    bar(end);
    expect(written).toHaveLength(3);
    expect(written.every((w) => w.startsWith("\r") && w.includes("\x1b[K"))).toBe(true);
    expect(written.at(-1)!.endsWith("\n")).toBe(true);
    expect(written.slice(0, -1).some((w) => w.includes("\n"))).toBe(false);
  });

  it("writes a line per epoch (not per step) when not a terminal", () => {
    const { bar, written, at } = textBarOn(false, { label: "ci" });
    at(0);
    bar(start);
    for (let i = 1; i <= 100; i++) {
      at(i * 1000);
      bar(step(i));
      if (i % 50 === 0) bar(epoch(i / 50, 0.7 + i / 1000));
    }
    bar(end);
    expect(written).toHaveLength(4); // start, 2 epochs, end
    expect(written.every((w) => w.endsWith("\n") && !w.includes("\r") && !w.includes("█"))).toBe(true);
    expect(written[1]).toMatch(/^ci 50% 50\/100 · epoch 1\/2 · loss 1\.0000 · val 75\.00% · density 10\.0%/);
  });

  it("counts items by hand with advance() and done()", () => {
    const { bar, written, at } = textBarOn(false, { label: "sweep", total: 4 });
    at(0);
    bar.advance("seed 1: 0.85");
    at(10);
    bar.advance();
    bar.advance();
    at(20);
    bar.advance("seed 4: 0.86");
    bar.done();
    expect(written).toEqual([
      "sweep 25% 1/4 · seed 1: 0.85\n", // no rate yet: no time has passed
      expect.stringMatching(/^sweep 50% 2\/4/),
      expect.stringMatching(/^sweep 75% 3\/4/),
      expect.stringMatching(/^sweep 100% 4\/4 · .*seed 4: 0\.86\n$/),
      expect.stringMatching(/^sweep 100% 4\/4 · done in 0s · seed 4: 0\.86\n$/),
    ]);
  });
});

describe("progressBar options", () => {
  it.each([
    [{ label: 3 }, /^progressBar\(options\.label\): expected a string, received 3/],
    [{ output: "html" }, /^progressBar\(options\.output\): expected one of "auto", "kernel", "tty", "lines", "silent", received "html"/],
    [{ interval: -1 }, /^progressBar\(options\.interval\): expected a number of milliseconds ≥ 0, received -1/],
    [{ smoothing: 1 }, /^progressBar\(options\.smoothing\): expected a number in \[0, 1\), received 1/],
    [{ total: 2.5 }, /^progressBar\(options\.total\): expected a non-negative integer, received 2\.5/],
    [{ output: "kernel" }, /^progressBar\(options\.output\): expected "kernel" only inside a Jupyter kernel/],
  ])("rejects %j", (options, message) => {
    expect(() => progressBar(options as never)).toThrow(message);
  });

  it("rejects bad advance() arguments", () => {
    const bar = progressBar({ output: "silent" });
    expect(() => bar.advance(undefined, -1)).toThrow(/^ProgressBar\.advance\(count\): expected a non-negative integer, received -1/);
  });
});

describe("rendering helpers", () => {
  it("formats durations and bars", () => {
    expect([formatDuration(5.4), formatDuration(75), formatDuration(3725)]).toEqual(["5s", "1:15", "1:02:05"]);
    expect(textBar(0.5, 4)).toBe("██  ");
    expect(textBar(0.25, 2)).toBe("▌ ");
    expect(textBar(1 / 16, 2)).toBe("▏ ");
    expect(progressText({ status: "done", step: 3, elapsed: 2 }, { bar: false })).toBe("100% 3 · done in 2s");
  });
});

describe("formatRate", () => {
  it("shows units per second, or time per unit when slow", () => {
    expect([formatRate(123.4, "steps"), formatRate(2.345, "it"), formatRate(0.02, "it"), formatRate(0.5, "steps")]).toEqual(["123 steps/s", "2.3 it/s", "50s/it", "2s/step"]);
  });
});
