import { describe, expect, it } from "vitest";
import { DISPLAY } from "../display/protocol.js";
import { escapeHtml, formatCell } from "./format.js";
import { table, toDataFrame } from "./table.js";

const rows = [
  { arm: "erk", sparsity: 0.9, accuracy: 0.851234, seeds: 3 },
  { arm: "uniform <b>", sparsity: 0.95, accuracy: 0.8, seeds: 3, note: "a & b" },
];

describe("table", () => {
  it("renders aligned text: numbers right, text left, missing cells empty", () => {
    expect(table(rows, { title: "accuracy", digits: 3 }).toString()).toBe([
      "accuracy",
      "arm          sparsity  accuracy  seeds  note",
      "-----------  --------  --------  -----  -----",
      "erk             0.900     0.851      3",
      "uniform <b>     0.950     0.800      3  a & b",
    ].join("\n"));
  });

  it("renders a clean HTML table with everything escaped", () => {
    const html = table(rows, { title: "<accuracy>" }).toHTML();
    expect(html).toMatch(/^<table class="sparselab-table"[^>]*><caption[^>]*>&lt;accuracy&gt;<\/caption><thead><tr>/);
    expect(html).toContain(">uniform &lt;b&gt;</td>");
    expect(html).toContain(">a &amp; b</td>");
    expect(html).not.toContain("<b>");
    expect(html).toContain('<th style="text-align:right;padding:2px 8px">accuracy</th>');
    expect(html).toContain('<td style="text-align:right;padding:2px 8px">0.8512</td>');
    expect(html.match(/<tr>/g)).toHaveLength(3);
  });

  it("is displayable: text/plain and text/html", () => {
    const bundle = table(rows)[DISPLAY]();
    expect(Object.keys(bundle).sort()).toEqual(["text/html", "text/plain"]);
    expect(bundle["text/plain"]).toBe(table(rows).toString());
  });

  it("elides the middle of long tables", () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ i }));
    const t = table(many, { maxRows: 4 });
    expect(t.toString().split("\n")).toEqual(["i", "-", "0", "1", "…", "8", "9", "10 rows × 1 columns"]);
    expect(t.toHTML()).toContain("10 rows × 1 columns");
  });

  it("picks and orders columns", () => {
    expect(table(rows, { columns: ["accuracy", "arm"], digits: 2 }).toString().split("\n")[2]).toBe("    0.85  erk");
  });

  it("handles an empty table", () => {
    expect(table([]).toString()).toContain("(no rows)");
    expect(table([]).toHTML()).toContain("no rows");
  });

  it("copies rows, so later changes do not alter it", () => {
    const source = [{ a: 1 }];
    const t = table(source);
    source[0].a = 2;
    expect(t.rows[0].a).toBe(1);
  });

  it.each([
    [() => table("rows" as never), /^table\(rows\): expected an array of row objects, received "rows"/],
    [() => table([{ a: 1 }, 5] as never), /^table\(rows\[1\]\): expected a row object, received 5/],
    [() => table(rows, { digits: -1 }), /^table\(options\.digits\): expected an integer in \[0, 20\], received -1/],
    [() => table(rows, { colour: "red" } as never), /^table\(options\): expected only the options title, digits, maxRows, columns, received unknown option "colour"/],
    [() => table(rows, { columns: ["nope"] }), /^table\(options\.columns\): expected names among arm, sparsity, accuracy, seeds, note, received "nope"/],
  ])("rejects bad input %#", (f, message) => {
    expect(f).toThrow(message);
  });
});

describe("formatCell", () => {
  it("formats numbers by kind", () => {
    expect(formatCell(3, 4)).toBe("3");
    expect(formatCell(0.123456, 4)).toBe("0.1235");
    expect(formatCell(0.00001, 4)).toBe("1.000e-5");
    expect(formatCell(Number.NaN, 4)).toBe("NaN");
    expect(formatCell(null, 4)).toBe("");
    expect(formatCell([1, 0.123456], 2)).toBe("[1,0.12]");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

describe("toDataFrame", () => {
  it("builds a danfo DataFrame, which table() shows back", () => {
    const df = toDataFrame(rows.map(({ arm, accuracy }) => ({ arm, accuracy })));
    expect(df.shape).toEqual([2, 2]);
    expect(df.columns).toEqual(["arm", "accuracy"]);
    expect(table(df, { digits: 2 }).toString().split("\n")[2]).toBe("erk" + " ".repeat(14) + "0.85");
  });

  it("rejects non-rows", () => {
    expect(() => toDataFrame({} as never)).toThrow(/^toDataFrame\(rows\): expected an array of row objects, received \{\}/);
  });
});
