import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Chart } from "../charts/chart.js";
import { table } from "../tables/table.js";
import { bundleMetadata, DISPLAY, type Displayable, type MimeBundle } from "./protocol.js";
import { bundleOf, show } from "./show.js";
import { inKernel, kernelSink, type DisplayMessage } from "./sink.js";

const require = createRequire(import.meta.url);

/** tslab's real internal module: what tslab's (and sparselab's) kernel sets per cell. */
const tslabJupyter = require("tslab/dist/jupyter.js") as { lastWriteDisplayData: unknown };

/** Simulates "a cell is running": sets the sink the way the kernel does, collecting messages. */
function enterCell() {
  const sent: { message: DisplayMessage; update: boolean }[] = [];
  tslabJupyter.lastWriteDisplayData = (message: DisplayMessage, update: boolean) => sent.push({ message, update });
  return sent;
}

const spec = {
  data: { values: [{ a: "x", b: 1 }, { a: "y", b: 3 }] },
  mark: "bar",
  encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } },
} as const;

let stdout: string[];
beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  tslabJupyter.lastWriteDisplayData = null;
});

describe("DISPLAY", () => {
  it("is the registered Jupyter.display symbol", () => {
    expect(DISPLAY).toBe(Symbol.for("Jupyter.display"));
  });
});

describe("show outside a kernel", () => {
  it("is not in a kernel when tslab's sink is unset", () => {
    expect(inKernel()).toBe(false);
    expect(kernelSink()).toBeUndefined();
  });

  it("writes text/plain of a displayable to stdout, synchronously", () => {
    const value: Displayable = { [DISPLAY]: () => ({ "text/plain": "plain <text>", "text/html": "<b>html</b>" }) };
    const done = show(value);
    expect(stdout).toEqual(["plain <text>\n"]);
    return done;
  });

  it("writes strings as they are and other values through util.inspect", async () => {
    await show("hello");
    await show({ a: 1, b: [2, 3] });
    expect(stdout).toEqual(["hello\n", "{ a: 1, b: [ 2, 3 ] }\n"]);
  });

  it("writes a table's aligned text", async () => {
    await show(table([{ name: "a", value: 1.5 }]));
    expect(stdout.join("")).toBe("name   value\n----  ------\na     1.5000\n"); // numbers (and their header) right-aligned
  });

  it("describes a chart without rendering it", async () => {
    const chart = new Chart(spec as never, "<my chart>");
    const render = vi.spyOn(chart, "render");
    await show(chart);
    expect(stdout).toEqual(["<my chart>\n"]);
    expect(render).not.toHaveBeenCalled();
  });

  it("describes a raw Vega-Lite spec", async () => {
    await show({ ...spec, title: "bars" });
    expect(stdout).toEqual(["<Vega-Lite chart: bars>\n"]);
  });

  it("falls back to text/html stripped of tags when a bundle has no text/plain", async () => {
    await show({ [DISPLAY]: async () => ({ "text/html": "<b>bold</b> move" }) });
    expect(stdout).toEqual(["bold move\n"]);
  });
});

describe("show inside a kernel", () => {
  it("finds tslab's sink in the module cache", () => {
    enterCell();
    expect(inKernel()).toBe(true);
  });

  it("sends one display_data with the object's bundle", async () => {
    const sent = enterCell();
    await show(table([{ x: "<script>" }], { title: "t" }));
    expect(sent).toHaveLength(1);
    const { message, update } = sent[0];
    expect(update).toBe(false);
    expect(message.transient).toEqual({});
    expect(message.metadata).toEqual({});
    expect(Object.keys(message.data).sort()).toEqual(["text/html", "text/plain"]);
    expect(message.data["text/html"]).toContain("&lt;script&gt;");
    expect(stdout).toEqual([]);
  });

  it("sends synchronously when the bundle is synchronous (in order with console output)", () => {
    const sent = enterCell();
    void show({ [DISPLAY]: () => ({ "text/plain": "now" }) });
    expect(sent).toHaveLength(1);
  });

  it("creates and then updates a display in place with id + update", async () => {
    const sent = enterCell();
    await show("first", { id: "runs" });
    await show("second", { id: "runs", update: true });
    expect(sent.map((s) => [s.message.data["text/plain"], s.message.transient, s.update])).toEqual([
      ["first", { display_id: "runs" }, false],
      ["second", { display_id: "runs" }, true],
    ]);
  });

  it("renders charts to a vega-lite + svg + png bundle, PNG sized by metadata", async () => {
    const sent = enterCell();
    await show(new Chart(spec as never));
    expect(sent).toHaveLength(1);
    const { data, metadata } = sent[0].message;
    expect(Object.keys(data).sort()).toEqual(["application/vnd.vegalite.v5+json", "image/png", "image/svg+xml", "text/plain"]);
    const png = Buffer.from(data["image/png"]!, "base64");
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    const size = metadata["image/png"] as { width: number; height: number };
    expect(png.readUInt32BE(16)).toBe(size.width * 2); // rendered at 2×
    expect(png.readUInt32BE(20)).toBe(size.height * 2);
    expect(JSON.parse(JSON.stringify(data))).toEqual(data); // plain JSON
  });

  it("renders a plain Vega-Lite spec as a chart", async () => {
    const sent = enterCell();
    await show(spec);
    expect(sent[0].message.data["image/svg+xml"]).toContain("mark-rect");
    expect(sent[0].message.data["application/vnd.vegalite.v5+json"]).toEqual(spec);
  });

  it("sends to the cell that called it, even when rendering finishes after the next cell started", async () => {
    const first = enterCell();
    const pending = show(new Chart(spec as never));
    const second = enterCell();
    await pending;
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(0);
  });

  it("goes through the same channel as tslab's own display API", () => {
    const sent = enterCell();
    (require("tslab") as { display: { html(s: string): void } }).display.html("<i>tslab</i>");
    void show({ [DISPLAY]: () => ({ "text/plain": "ours" }) });
    expect(sent.map((s) => Object.values(s.message.data)[0])).toEqual(["<i>tslab</i>", "ours"]);
  });

  it("shows danfo DataFrames as danfo's text and an HTML table", async () => {
    const dfd = require("danfojs-node") as typeof import("danfojs-node");
    const df = new dfd.DataFrame({ arm: ["a<b", "c"], acc: [0.5, 0.25] });
    const sent = enterCell();
    await show(df);
    const data = sent[0].message.data;
    expect(data["text/plain"]).toBe(df.toString());
    expect(data["text/html"]).toContain("<th");
    expect(data["text/html"]).toContain("a&lt;b");
    expect(data["text/html"]).toContain("0.2500");
  });
});

describe("bundleOf", () => {
  it("base64-encodes binary data and keeps text/plain", async () => {
    const bundle = await bundleOf({ [DISPLAY]: () => ({ "text/plain": "img", "image/png": new Uint8Array([1, 2, 3]) }) as unknown as MimeBundle });
    expect(bundle).toEqual({ "text/plain": "img", "image/png": "AQID" });
  });

  it("recognises PNG bytes", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const bundle = await bundleOf(png);
    expect(bundle["image/png"]).toBe(png.toString("base64"));
  });

  it("rejects a display method that returns no bundle", async () => {
    expect(() => bundleOf({ [DISPLAY]: () => "nope" })).toThrow(/expected a MIME bundle object, received "nope"/);
  });
});

describe("bundleMetadata", () => {
  it("sizes a PNG by the SVG next to it", () => {
    expect(bundleMetadata({ "image/png": "x", "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="365" height="210" viewBox="0 0 365 210">' }))
      .toEqual({ "image/png": { width: 365, height: 210 } });
    expect(bundleMetadata({ "image/png": "x" })).toEqual({});
    expect(bundleMetadata({ "text/plain": "x" })).toEqual({});
  });
});

describe("show validates its options", () => {
  it.each([
    [{ update: true }, /^show\(options\.id\): expected the id of the display to update/],
    [{ id: "" }, /^show\(options\.id\): expected a non-empty string, received ""/],
    [{ id: "a", update: "yes" }, /^show\(options\.update\): expected a boolean, received "yes"/],
    [{ colour: 1 }, /^show\(options\): expected only the options id, update, received unknown option "colour"/],
  ])("%j", async (options, message) => {
    await expect(show("x", options as never)).rejects.toThrow(message);
  });
});
