import { describe, expect, it } from "vitest";
import { readNotebook, type CodeCell, type Notebook } from "../../kernel-ext/src/runner/notebook.js";
import { OutputRecorder } from "../../kernel-ext/src/runner/outputs.js";
import { injectParameters, parseParameter } from "../../kernel-ext/src/runner/parameters.js";
import { Session, type Message } from "../../kernel-ext/src/runner/wire.js";
import { fixture } from "./support.js";

const code = (source: string, tags?: string[]): CodeCell => ({
  id: Math.random().toString(16).slice(2, 10),
  cell_type: "code",
  metadata: tags ? { tags } : {},
  source,
  outputs: [],
  execution_count: null,
});
const iopub = (msg_type: string, content: object) => ({ header: { msg_type }, content }) as unknown as Message;

describe("parameters", () => {
  it("parses values as JSON when they parse, else as strings", () => {
    expect(parseParameter("N=4")).toEqual(["N", 4]);
    expect(parseParameter("SEEDS=[1,2]")).toEqual(["SEEDS", [1, 2]]);
    expect(parseParameter("LABEL=ci run")).toEqual(["LABEL", "ci run"]);
    expect(parseParameter("EQ=a=b")).toEqual(["EQ", "a=b"]);
  });

  it("injects after the parameters cell, replacing a previous run's injected cell", () => {
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [code("let FAST = false;", ["parameters"]), code("FAST = false;", ["injected-parameters"]), code("FAST")],
    };
    const injected = injectParameters(nb, { FAST: true, NAME: "x" }, "nb.ipynb");
    expect(nb.cells.map((c) => c.source)).toEqual(["let FAST = false;", injected!.source, "FAST"]);
    expect(injected!.source).toBe('// Parameters injected by `sparselab run`.\nFAST = true;\nNAME = "x";');
  });
});

describe("OutputRecorder", () => {
  it("merges stream text, honours clear_output(wait) and updates displays in earlier cells", () => {
    const recorder = new OutputRecorder();
    const first = code("");
    const second = code("");
    const one = recorder.forCell(first);
    one(iopub("display_data", { data: { "text/plain": "0%" }, metadata: {}, transient: { display_id: "bar" } }));
    const two = recorder.forCell(second);
    two(iopub("execute_input", { execution_count: 7 }));
    two(iopub("stream", { name: "stdout", text: "a" }));
    two(iopub("stream", { name: "stdout", text: "b\n" }));
    two(iopub("clear_output", { wait: true }));
    two(iopub("stream", { name: "stdout", text: "c\n" }));
    two(iopub("update_display_data", { data: { "text/plain": "100%" }, metadata: {}, transient: { display_id: "bar" } }));

    expect(first.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "100%" }, metadata: {} }]);
    expect(second.outputs).toEqual([{ output_type: "stream", name: "stdout", text: "c\n" }]);
    expect(second.execution_count).toBe(7);
  });
});

describe("Session", () => {
  it("signs messages it can parse back and rejects another key's signature", () => {
    const session = new Session("secret");
    const frames = session.serialize(session.message("execute_request", { code: "1" }));
    expect(session.parse(frames).content).toEqual({ code: "1" });
    expect(() => new Session("other").parse(frames)).toThrow(/expected an HMAC-SHA256 signature made with the connection key/);
  });
});

describe("readNotebook", () => {
  it("upgrades nbformat 4.4 files: every cell gets an id, minor becomes 5", () => {
    const nb = readNotebook(fixture("params.ipynb"));
    expect(nb.nbformat_minor).toBe(5);
    expect(new Set(nb.cells.map((c) => c.id)).size).toBe(nb.cells.length);
    expect(nb.cells.every((c) => /^[0-9a-f]{8}$/.test(c.id))).toBe(true);
  });
});
