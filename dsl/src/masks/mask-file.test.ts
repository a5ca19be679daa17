import * as fsp from "node:fs/promises";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeMaskSet } from "./codec.js";
import { Mask } from "./mask.js";
import { loadMaskSet, saveMaskSet } from "./mask-file.js";
import { MaskSet } from "./mask-set.js";

// Real file system, with `open` and `rename` wrapped so a test can make one call fail mid-save.
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

const oldSet = MaskSet.from([["w", Mask.fromBits([2, 2], [1, 0, 0, 1])]]);
const newSet = MaskSet.from([["w", Mask.fromBits([2, 2], [0, 1, 1, 0])]]);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmask-"));
});
afterEach(async () => {
  vi.mocked(fsp.open).mockClear();
  await rm(dir, { recursive: true, force: true });
});

/** The old file is intact and nothing else (no temporary file) is left in the directory. */
async function expectUntouched(path: string): Promise<void> {
  expect(await readdir(dir)).toEqual(["masks.slmask"]);
  expect(new Uint8Array(await readFile(path))).toEqual(encodeMaskSet(oldSet));
  expect((await loadMaskSet(path)).equals(oldSet)).toBe(true);
}

describe("saveMaskSet / loadMaskSet", () => {
  it("round-trips through a file and replaces an older one", async () => {
    const path = join(dir, "masks.slmask");
    await saveMaskSet(path, oldSet);
    await saveMaskSet(path, newSet);
    expect((await loadMaskSet(path)).equals(newSet)).toBe(true);
    expect(await readdir(dir)).toEqual(["masks.slmask"]);
  });

  it("touches nothing when encoding fails", async () => {
    const path = join(dir, "masks.slmask");
    await saveMaskSet(path, oldSet);
    await expect(saveMaskSet(path, {} as MaskSet)).rejects.toThrow(/^saveMaskSet\(set\): expected a MaskSet, received \{\}$/);
    await expectUntouched(path);
  });

  it("keeps the old file and removes the temporary one when writing fails halfway", async () => {
    const path = join(dir, "masks.slmask");
    await saveMaskSet(path, oldSet);
    vi.mocked(fsp.open).mockImplementationOnce(async (file, flags) => {
      const handle = await vi.mocked(fsp.open).getMockImplementation()!(file, flags);
      handle.writeFile = async () => {
        await handle.write(new Uint8Array([0x53, 0x4c]));
        throw new Error("ENOSPC: no space left on device");
      };
      return handle;
    });
    await expect(saveMaskSet(path, newSet)).rejects.toThrow(/^saveMaskSet\(path\): expected a writable file path, received ".*masks\.slmask" \(ENOSPC: no space left on device\)$/);
    await expectUntouched(path);
  });

  it("keeps the old file and removes the temporary one when the rename fails", async () => {
    const path = join(dir, "masks.slmask");
    await saveMaskSet(path, oldSet);
    vi.mocked(fsp.rename).mockRejectedValueOnce(new Error("EIO: i/o error, rename"));
    await expect(saveMaskSet(path, newSet)).rejects.toThrow(/\(EIO: i\/o error, rename\)$/);
    await expectUntouched(path);
  });

  it("fails cleanly when the target cannot be written", async () => {
    await expect(saveMaskSet(join(dir, "missing", "masks.slmask"), oldSet)).rejects.toThrow(/^saveMaskSet\(path\): expected a writable file path, received ".*missing\/masks\.slmask" \(ENOENT/);
    await mkdir(join(dir, "masks.slmask"));
    await writeFile(join(dir, "masks.slmask", "keep"), "x");
    await expect(saveMaskSet(join(dir, "masks.slmask"), oldSet)).rejects.toThrow(/^saveMaskSet\(path\)/);
    expect(await readdir(dir)).toEqual(["masks.slmask"]);
  });

  it("names the file in load errors", async () => {
    const path = join(dir, "masks.slmask");
    await expect(loadMaskSet(path)).rejects.toThrow(/^loadMaskSet\(path\): expected a readable file, received ".*masks\.slmask" \(ENOENT/);
    await writeFile(path, "not a mask file at all");
    await expect(loadMaskSet(path)).rejects.toThrow(/^loadMaskSet\(".*masks\.slmask"\): expected a sparselab mask file \(starting with "SLMASK"\), received bytes starting with "not a "$/);
    const bytes = encodeMaskSet(oldSet);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));
    await expect(loadMaskSet(path)).rejects.toThrow(/^loadMaskSet\(".*masks\.slmask"\): expected a \d+-byte header and a checksum, received \d+ bytes in all \(truncated\)$/);
  });
});
