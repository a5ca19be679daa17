import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeIdx, gunzipIfNeeded, parseIdx, readIdxFile } from "./idx.js";

const images = encodeIdx([2, 3, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20));

describe("parseIdx", () => {
  it("reads dims and bytes written by encodeIdx", () => {
    const parsed = parseIdx(images);
    expect(parsed.dims).toEqual([2, 3, 2]);
    expect(Array.from(parsed.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
    expect(Array.from(images.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
  });

  it("refuses a wrong magic number, naming the file", () => {
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]);
    expect(() => parseIdx(zip, "x.idx")).toThrow(/^parseIdx\("x\.idx"\): expected an IDX file starting with 00 00 08 <ndims>, received 50 4b 03 04$/);
    const floats = Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]);
    expect(() => parseIdx(floats, "f.idx")).toThrow(/received 00 00 0d 01/);
    expect(() => parseIdx(new Uint8Array(0), "empty.idx")).toThrow(/received an empty file/);
  });

  it("refuses a truncated header", () => {
    expect(() => parseIdx(images.subarray(0, 10), "short.idx")).toThrow(/^parseIdx\("short\.idx"\): expected a 16-byte header for 3 dims, received 10 bytes \(truncated file\)$/);
  });

  it("refuses truncated data and trailing bytes", () => {
    expect(() => parseIdx(images.subarray(0, images.length - 1), "cut.idx")).toThrow(/^parseIdx\("cut\.idx"\): expected 12 data bytes for dims 2×3×2, received 11 \(truncated file\)$/);
    const longer = new Uint8Array(images.length + 1);
    longer.set(images);
    expect(() => parseIdx(longer, "long.idx")).toThrow(/received 13 \(trailing bytes in a corrupt file\)/);
  });
});

describe("encodeIdx", () => {
  it("refuses data that does not fill the dims", () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(/^encodeIdx\(data\): expected 1 to 255 dims whose product is data\.length, received dims \[2, 2\] and 3 bytes$/);
  });
});

describe("readIdxFile", () => {
  const folder = mkdtempSync(join(tmpdir(), "sparselab-idx-"));

  it("reads gzipped and plain files alike", async () => {
    writeFileSync(join(folder, "a.gz"), gzipSync(images));
    writeFileSync(join(folder, "a"), images);
    expect((await readIdxFile(join(folder, "a.gz"))).dims).toEqual([2, 3, 2]);
    expect((await readIdxFile(join(folder, "a"))).dims).toEqual([2, 3, 2]);
  });

  it("names the file when a gzip stream is cut short", async () => {
    const gz = gzipSync(images);
    const path = join(folder, "cut.gz");
    writeFileSync(path, gz.subarray(0, gz.length - 6));
    await expect(readIdxFile(path)).rejects.toThrow(/^gunzip\(".*cut\.gz"\): expected a complete gzip stream, received \d+ bytes that fail to decompress/);
  });

  it("passes bytes without the gzip magic through", async () => {
    expect(await gunzipIfNeeded(images, "plain")).toBe(images);
  });
});
