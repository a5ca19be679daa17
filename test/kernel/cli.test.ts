import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, runCli, tempDir, validateNotebook } from "./support.js";

describe("sparselab run", () => {
  it("exits non-zero naming the notebook, the failing cell, its source and the error", () => {
    const out = tempDir("cli-throws");
    const result = runCli(["run", fixture("throws.ipynb"), "--out", out]);

    expect(result.status).toBe(1);
    const lines = result.stderr.split("\n");
    expect(lines.filter((l) => l.startsWith("["))).toEqual([
      expect.stringMatching(/^\[1\/3\] cell 2 ok \d+\.\ds$/),
      expect.stringMatching(/^\[2\/3\] cell 4 error \d+\.\ds$/),
    ]);
    expect(result.stderr).toMatch(/throws\.ipynb: cell 4 \(step 2\/3, In \[2\]\) failed with RangeError: bad k: 2\n {4}\| const b = a \+ 1;\n {4}\| throw new RangeError/);
    validateNotebook(join(out, "throws.ipynb"));
    expect(existsSync(join(out, "throws.html"))).toBe(true);
  }, 120_000);

  it("reports a cell that SIGKILLs its kernel as a dead kernel", () => {
    const result = runCli(["run", fixture("sigkill.ipynb"), "--out", tempDir("cli-sigkill")]);

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/sigkill\.ipynb: cell 1 \(step 1\/1, In \[1\]\) lost its kernel: the kernel process was killed by SIGKILL/);
  }, 120_000);

  it.each([
    [["run", "x.ipynb", "--timeout", "soon"], 'run(--timeout): expected a positive number of seconds, received "soon"'],
    [["run", "x.ipynb", "--param", "2x=1"], 'run(--param): expected NAME=VALUE with NAME a TypeScript identifier, received "2x=1"'],
    [["run", "x.ipynb", "--verbose"], 'run(--verbose): expected one of --fast, --param, --out, --timeout, --kernel, received "--verbose"'],
    [["run"], "run(NOTEBOOK): expected at least one .ipynb path, received none"],
  ])("rejects bad input %j with one line and exit code 2", (args, message) => {
    const result = runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(message + "\n");
  });
});

describe("sparselab kernel install", () => {
  it("writes kernel.json under the prefix and prints its folder", () => {
    const prefix = tempDir("install");
    const result = runCli(["kernel", "install", "--prefix", prefix, "--name", "sl-test"]);

    expect(result.status).toBe(0);
    const dir = join(prefix, "share/jupyter/kernels/sl-test");
    expect(result.stdout).toBe(dir + "\n");
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    expect(spec).toMatchObject({ display_name: "TypeScript (sparselab)", language: "typescript" });
    expect(spec.argv).toEqual([process.execPath, expect.stringMatching(/kernel-ext\/dist\/kernel\/main\.js$/), "--config-path", "{connection_file}"]);
  });

  it("installs into JUPYTER_DATA_DIR by default", () => {
    const data = tempDir("userdata");
    const result = runCli(["kernel", "install"], { JUPYTER_DATA_DIR: data });
    expect(result.stdout).toBe(join(data, "kernels/sparselab") + "\n");
  });
});
