import { Rng } from "@sparselab/datasets";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeMaskSet, encodeMaskSet } from "./codec.js";
import { crc32 } from "./crc32.js";
import { Mask } from "./mask.js";
import { MaskSet } from "./mask-set.js";

const rng = new Rng(11);
const set = MaskSet.from([
  ["dense_1/kernel", Mask.random([784, 30], 4000, rng)],
  ["conv/kernel", Mask.random([3, 3, 4, 5], 17, rng)],
  ["dense_2/kernel", Mask.dense([30, 10])],
]);

/** Re-seals a tampered buffer with a valid checksum, to reach the checks behind the CRC. */
function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

describe("mask codec", () => {
  it("round-trips names, order, shapes and bits", () => {
    const decoded = decodeMaskSet(encodeMaskSet(set));
    expect(decoded.equals(set)).toBe(true);
    expect(decoded.report()).toEqual(set.report());
  });

  it("writes the documented layout: magic, version, header, LSB-first bits, CRC-32", () => {
    const bytes = encodeMaskSet(MaskSet.from([["w", Mask.fromBits([10], [1, 0, 0, 0, 0, 0, 0, 1, 0, 1])]]));
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe("SLMASK");
    expect(view.getUint16(6, true)).toBe(1);
    const headerLength = view.getUint32(8, true);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))))
      .toEqual({ masks: [{ name: "w", shape: [10], kept: 3 }] });
    expect([...bytes.subarray(12 + headerLength, bytes.length - 4)]).toEqual([0b10000001, 0b00000010]);
    expect(view.getUint32(bytes.length - 4, true)).toBe(zlibCrc32(bytes.subarray(0, bytes.length - 4)));
  });

  it("packs 8 elements per byte", () => {
    const bytes = encodeMaskSet(set);
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    expect(bytes.length).toBe(12 + headerLength + Math.ceil(23520 / 8) + Math.ceil(180 / 8) + Math.ceil(300 / 8) + 4);
  });

  it("detects a flipped byte anywhere by checksum", () => {
    const bytes = encodeMaskSet(set);
    for (const position of [13, 200, bytes.length - 40, bytes.length - 2]) {
      const corrupted = bytes.slice();
      corrupted[position] ^= 0x10;
      expect(() => decodeMaskSet(corrupted)).toThrow(/^decodeMaskSet\(bytes\): expected checksum 0x[0-9a-f]{8}, received data with checksum 0x[0-9a-f]{8} \(the file is corrupted\)$/);
    }
  });

  it("reports truncation", () => {
    const bytes = encodeMaskSet(set);
    expect(() => decodeMaskSet(bytes.subarray(0, bytes.length - 100))).toThrow(/^decodeMaskSet\(bytes\): expected \d+ bytes for the masks in the header, received \d+ \(truncated or padded\)$/);
    expect(() => decodeMaskSet(bytes.subarray(0, 40))).toThrow(/^decodeMaskSet\(bytes\): expected a \d+-byte header and a checksum, received 40 bytes in all \(truncated\)$/);
    expect(() => decodeMaskSet(bytes.subarray(0, 9))).toThrow(/^decodeMaskSet\(bytes\): expected at least 16 bytes, received 9 \(truncated\)$/);
    expect(() => decodeMaskSet(bytes.subarray(0, 3))).toThrow(/truncated/);
    expect(() => decodeMaskSet(new Uint8Array())).toThrow(/truncated/);
  });

  it("rejects a wrong magic or version", () => {
    const zip = encodeMaskSet(set);
    zip.set([0x50, 0x4b, 0x03, 0x04], 0);
    expect(() => decodeMaskSet(zip)).toThrow(/^decodeMaskSet\(bytes\): expected a sparselab mask file \(starting with "SLMASK"\), received bytes starting with "PK\\u0003\\u0004SK"$/);
    const future = encodeMaskSet(set);
    new DataView(future.buffer).setUint16(6, 2, true);
    expect(() => decodeMaskSet(future)).toThrow(/^decodeMaskSet\(bytes\): expected format version 1, received version 2$/);
  });

  it("refuses a kept count that does not match the bits, even with a valid checksum", () => {
    const bytes = encodeMaskSet(MaskSet.from([["w", Mask.fromBits([4], [1, 1, 0, 0])]]));
    bytes[bytes.length - 5] = 0b0111;
    expect(() => decodeMaskSet(reseal(bytes))).toThrow(/^decodeMaskSet\(bytes\): expected 2 kept weights in mask "w" \[4\] \(as its header says\), received 3 in its bits$/);
  });

  it("refuses nonzero padding bits and a malformed header, even with a valid checksum", () => {
    const padded = encodeMaskSet(MaskSet.from([["w", Mask.fromBits([4], [1, 1, 0, 0])]]));
    padded[padded.length - 5] |= 0b10000;
    expect(() => decodeMaskSet(reseal(padded))).toThrow(/^decodeMaskSet\(bytes\): expected zero padding bits after mask "w", received byte 0x13$/);
    const bytes = encodeMaskSet(MaskSet.from([["w", Mask.fromBits([4], [1, 1, 0, 0])]]));
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)));
    bytes.set(new TextEncoder().encode(header.replace('"kept":2', '"kept":9')), 12);
    expect(() => decodeMaskSet(reseal(bytes))).toThrow(/^decodeMaskSet\(bytes\): expected a valid header, received an invalid kept count at masks\[0\]$/);
  });

  it("round-trips an empty set", () => {
    expect(decodeMaskSet(encodeMaskSet(MaskSet.from([]))).size).toBe(0);
  });
});
