import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runNotebook, type CellProgress } from "../../kernel-ext/src/runner/index.js";
import type { Notebook } from "../../kernel-ext/src/runner/notebook.js";
import { fixture, tempDir, validateNotebook } from "./support.js";

const readOutput = (path: string): Notebook => JSON.parse(readFileSync(path, "utf8"));

describe("runNotebook", () => {
  it("injects parameters after the parameters cell and writes a valid notebook and an HTML report", async () => {
    const progress: CellProgress[] = [];
    const run = await runNotebook(fixture("params.ipynb"), {
      fast: true,
      params: { N: 4, LABEL: "ci" },
      outDir: tempDir("params"),
      timeoutSeconds: 60,
      onProgress: (p) => progress.push(p),
    });

    expect(run.failure).toBeNull();
    expect(run.ok).toBe(true);
    expect(run.cells.map((c) => [c.cell, c.status])).toEqual([[2, "ok"], [null, "ok"], [3, "ok"], [4, "ok"]]);
    expect(progress.map((p) => `${p.step}/${p.steps} ${p.cell}`)).toEqual(["1/4 2", "2/4 null", "3/4 3", "4/4 4"]);

    validateNotebook(run.output);
    const nb = readOutput(run.output);
    expect(nb.nbformat_minor).toBeGreaterThanOrEqual(5);
    const injected = nb.cells[2]!;
    expect(injected.metadata.tags).toEqual(["injected-parameters"]);
    expect(injected.source).toContain("FAST = true;\nN = 4;\nLABEL = \"ci\";");

    // FAST and N changed the computation: 4 * 10, not 3 * 100.
    const compute = nb.cells[3]!;
    expect(compute.cell_type === "code" && compute.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "ci: 40\n" },
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": "40" }, metadata: {} },
    ]);

    const display = nb.cells[4]!;
    const outputs = display.cell_type === "code" ? display.outputs : [];
    expect(outputs.map((o) => o.output_type)).toEqual(["display_data", "display_data", "execute_result"]);
    expect(outputs[1]).toMatchObject({ data: { "text/plain": "100%" } }); // updated in place
    expect(outputs[2]).toMatchObject({ data: { "text/html": "<b>ci</b>" } });
    expect(nb.metadata).toMatchObject({ kernelspec: { name: "sparselab" }, language_info: { name: "typescript" } });

    const html = readFileSync(run.report!, "utf8");
    expect(html).toContain("data:image/png;base64,iVBORw0KGgo");
    expect(html).toContain("ci: 40");
  }, 120_000);

  it("reports a cell still running after the timeout, kills its kernel and saves the partial notebook", async () => {
    const run = await runNotebook(fixture("sleeps.ipynb"), { outDir: tempDir("sleeps"), timeoutSeconds: 2 });

    expect(run.ok).toBe(false);
    expect(run.failure).toMatchObject({ kind: "timeout", cell: 2, step: 2 });
    expect(run.failure!.message).toMatch(/sleeps\.ipynb: cell 2 \(step 2\/3, In \[2\]\) timed out: still running after 2 s/);
    expect(run.failure!.message).toContain("| await new Promise((resolve) => setTimeout(resolve, 60_000));");
    expect(run.cells.map((c) => c.status)).toEqual(["ok", "timeout", "skipped"]);
    validateNotebook(run.output);
    const cells = readOutput(run.output).cells;
    expect(cells[1]).toMatchObject({ outputs: [{ output_type: "error", ename: "CellTimeout" }] });
    expect(cells[2]).toMatchObject({ execution_count: null, outputs: [] });
  }, 120_000);

  it("reports a cell that exits its kernel as a dead kernel", async () => {
    const run = await runNotebook(fixture("exits.ipynb"), { outDir: tempDir("exits"), timeoutSeconds: 60 });

    expect(run.failure).toMatchObject({ kind: "dead", cell: 2 });
    expect(run.failure!.message).toMatch(/exits\.ipynb: cell 2 .* lost its kernel: the kernel process exited with code 3\n {4}\| process\.exit\(3\);/);
    validateNotebook(run.output);
    expect(readOutput(run.output).cells[0]).toMatchObject({ outputs: [{ output_type: "stream", text: "before\n" }] });
  }, 120_000);

  it("refuses parameters for a notebook without a parameters cell, naming it", async () => {
    await expect(runNotebook(fixture("exits.ipynb"), { fast: true, outDir: tempDir("noparams") })).rejects.toThrow(
      /runNotebook\(params\): expected a code cell tagged "parameters" in .*exits\.ipynb to override, received FAST/,
    );
  });
});
