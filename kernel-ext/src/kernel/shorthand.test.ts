import { describe, expect, it } from "vitest";
import { expandShorthandProperties } from "./shorthand.js";

describe("expandShorthandProperties", () => {
  it("spells out shorthand properties and keeps lines in place", () => {
    const src = "const a = { data, n: 1 };\nf({ data,\n  seed });";
    expect(expandShorthandProperties(src)).toBe("const a = { data: data, n: 1 };\nf({ data: data,\n  seed: seed });");
  });
  it("leaves destructuring, methods and strings alone", () => {
    const src = 'const { x, y = 2 } = o;\nconst m = { f() { return 1; } };\nconst s = "{ data }";';
    expect(expandShorthandProperties(src)).toBe(src);
  });
});
