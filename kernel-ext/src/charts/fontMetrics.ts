import { readFileSync } from "node:fs";

/**
 * Text widths from a TrueType font's advance widths (cmap format 4 + hmtx; no kerning). Vega
 * without a canvas guesses 0.8 em per character, far wider than DejaVu Sans, which leaves holes
 * beside titles and legends; measuring the font the PNG renderer uses lays charts out as drawn.
 */
export class FontMetrics {
  /** Advance width in em for each BMP code point (NaN where the font has no glyph). */
  readonly #advance: Float32Array;
  readonly #fallback: number;

  private constructor(advance: Float32Array, fallback: number) {
    this.#advance = advance;
    this.#fallback = fallback;
  }

  static fromFile(path: string): FontMetrics {
    return FontMetrics.parse(readFileSync(path));
  }

  static parse(font: Uint8Array): FontMetrics {
    const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
    const tables = new Map<string, number>();
    const numTables = view.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const at = 12 + 16 * i;
      const tag = String.fromCharCode(font[at], font[at + 1], font[at + 2], font[at + 3]);
      tables.set(tag, view.getUint32(at + 8));
    }
    const table = (tag: string) => {
      const at = tables.get(tag);
      if (at === undefined) throw new Error(`FontMetrics.parse(font): expected a TrueType font with a ${tag} table, received a font without one`);
      return at;
    };
    const unitsPerEm = view.getUint16(table("head") + 18);
    const numberOfHMetrics = view.getUint16(table("hhea") + 34);
    const hmtx = table("hmtx");
    const glyphAdvance = (glyph: number) => view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1)) / unitsPerEm;

    const cmap = table("cmap");
    let sub: number | undefined;
    for (let i = 0, n = view.getUint16(cmap + 2); i < n; i++) {
      const platform = view.getUint16(cmap + 4 + 8 * i);
      const encoding = view.getUint16(cmap + 6 + 8 * i);
      const offset = cmap + view.getUint32(cmap + 8 + 8 * i);
      if (view.getUint16(offset) === 4 && ((platform === 3 && encoding === 1) || platform === 0)) {
        sub = offset;
        break;
      }
    }
    if (sub === undefined) throw new Error("FontMetrics.parse(font): expected a Unicode BMP cmap (format 4), received a font without one");
    const segCount = view.getUint16(sub + 6) / 2;
    const ends = sub + 14;
    const starts = ends + 2 * segCount + 2;
    const deltas = starts + 2 * segCount;
    const rangeOffsets = deltas + 2 * segCount;
    const advance = new Float32Array(0x10000).fill(Number.NaN);
    for (let i = 0; i < segCount; i++) {
      const end = view.getUint16(ends + 2 * i);
      const start = view.getUint16(starts + 2 * i);
      const delta = view.getUint16(deltas + 2 * i);
      const rangeOffsetAt = rangeOffsets + 2 * i;
      const rangeOffset = view.getUint16(rangeOffsetAt);
      for (let c = start; c <= end && c < 0xffff; c++) {
        let glyph: number;
        if (rangeOffset === 0) {
          glyph = (c + delta) & 0xffff;
        } else {
          const g = view.getUint16(rangeOffsetAt + rangeOffset + 2 * (c - start));
          glyph = g === 0 ? 0 : (g + delta) & 0xffff;
        }
        if (glyph !== 0) advance[c] = glyphAdvance(glyph);
      }
    }
    return new FontMetrics(advance, Number.isNaN(advance[0x78]) ? 0.6 : advance[0x78]); // 'x' for unknown glyphs
  }

  /** Width in pixels of `text` at `fontSize` px. */
  width(text: string, fontSize: number): number {
    let em = 0;
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      const a = code < 0x10000 ? this.#advance[code] : Number.NaN;
      em += Number.isNaN(a) ? this.#fallback : a;
    }
    return em * fontSize;
  }
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

/**
 * A `textMetrics.width(item, text)` for vega (the hook vl-convert uses too). Returns at most the
 * item's `limit`, so vega's own truncation (binary search for the longest prefix that fits) works.
 */
export function vegaTextWidth(regular: FontMetrics, bold: FontMetrics | undefined) {
  return (item: TextItem, text: unknown): number => {
    const line = text == null ? "" : String(text).trim();
    if (line === "") return 0;
    const size = item.fontSize === undefined || item.fontSize === null ? 11 : Number(item.fontSize);
    if (!(size > 0)) return 0;
    const weight = item.fontWeight;
    const isBold = weight === "bold" || weight === "bolder" || (typeof weight === "number" && weight >= 600) || (typeof weight === "string" && Number(weight) >= 600);
    const width = (isBold && bold ? bold : regular).width(line, size);
    const limit = Number(item.limit);
    return limit > 0 ? Math.min(width, limit) : width;
  };
}
