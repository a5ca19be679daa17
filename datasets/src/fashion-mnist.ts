/**
 * `fashionMnist()`: the full 60k/10k set when this machine has it, else the embedded subset. Which
 * one was used is recorded in `dataset.source` and `dataset.spec`, so a result always says what
 * data it came from.
 */
import { splitOffValidation, wholeSplit, type Dataset, type PixelTransform } from "./dataset.js";
import { readEmbedded } from "./embedded.js";
import { argName, describe, invalid, type ArgName } from "./errors.js";
import {
  DEBIAN_FASHION_MNIST_PATH, FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_ENV,
  missingFiles, missingFilesError, officialContents, readFashionMnistFolder, type ImagesAndLabels, type RawFashionMnist,
} from "./fashion-mnist-files.js";
import { expectValidation } from "./sampling.js";
import type { FashionMnistSpec } from "./spec.js";
import { expectInteger, expectNonEmptyString, expectOneOf, expectOptions } from "./validate.js";

export interface FashionMnistOptions {
  /**
   * "auto" (default): the full set if found, else the embedded subset; "full": the full set or an
   * error; "embedded": always the subset shipped with this package (10,000 train, 2,000 test).
   */
  readonly source?: "auto" | "full" | "embedded";
  /** A folder with the four official files; searched before $SPARSELAB_FASHION_MNIST and the Debian folder. */
  readonly path?: string;
  /** Held out of train: a fraction in [0, 1) or a whole count ≥ 1 (default 0.1), stratified by class. */
  readonly validation?: number;
  /** Chooses the validation examples (default 0). */
  readonly splitSeed?: number;
  /** "standard" (default): centred and scaled by the training set's pixel mean and std; "unit": pixels in [0, 1]. */
  readonly pixels?: "standard" | "unit";
}

export const FASHION_MNIST_OPTION_KEYS = ["source", "path", "validation", "splitSeed", "pixels"] as const;
const PIXELS = ["standard", "unit"] as const;
const SOURCES = ["auto", "full", "embedded"] as const;

type Found = { readonly source: "full"; readonly folder: string; readonly where: string } | { readonly source: "embedded" };

/** A folder someone named: options.path, else the environment variable; undefined if neither. */
function namedFolder(path: string | undefined, name: ArgName): { readonly folder: string; readonly where: string } | undefined {
  if (path !== undefined) return { folder: path, where: name("path") };
  const fromEnv = process.env[FASHION_MNIST_ENV];
  return fromEnv ? { folder: fromEnv, where: `${name.call}($${FASHION_MNIST_ENV})` } : undefined;
}

/** Where the data comes from: options.path, then the environment variable, then the Debian folder. */
function locateSource(source: (typeof SOURCES)[number], path: string | undefined, name: ArgName): Found {
  if (source === "embedded") {
    if (path !== undefined) throw invalid(name("path"), 'no path when source is "embedded"', describe(path));
    return { source };
  }
  const named = namedFolder(path, name);
  if (named) {
    // Someone named this folder, so a missing file is a mistake to report, not a reason to fall back.
    const missing = missingFiles(named.folder);
    if (missing.length > 0) throw missingFilesError(named.where, named.folder, missing);
    return { source: "full", ...named };
  }
  const missing = missingFiles(DEBIAN_FASHION_MNIST_PATH);
  if (missing.length === 0) return { source: "full", folder: DEBIAN_FASHION_MNIST_PATH, where: name() };
  if (source === "full") {
    throw invalid(
      name("source"),
      `the full set in options.path, $${FASHION_MNIST_ENV} or ${DEBIAN_FASHION_MNIST_PATH}`,
      `"full" with no path given and ${missing.join(", ")} missing in ${DEBIAN_FASHION_MNIST_PATH}`,
    );
  }
  return { source: "embedded" };
}

/**
 * Pixel mean and standard deviation of the official 60k training images (in [0, 1] units).
 * "standard" inputs are centred and scaled by them, as PyTorch recipes do with Normalize;
 * SGD on a ReLU MLP trains markedly better on them than on raw [0, 1] pixels.
 */
const PIXEL_MEAN = 0.286;
const PIXEL_STD = 0.353;

function pixelTransform(pixels: "unit" | "standard"): PixelTransform {
  return pixels === "unit"
    ? { scale: 1 / 255, shift: 0 }
    : { scale: 1 / (255 * PIXEL_STD), shift: -PIXEL_MEAN / PIXEL_STD };
}

function examples(part: ImagesAndLabels, pixels: "unit" | "standard") {
  return { x: part.images, y: part.labels, features: part.imageDims[0] * part.imageDims[1], transform: pixelTransform(pixels) };
}

type ResolvedSpec = FashionMnistSpec & {
  readonly source: "full" | "embedded"; readonly validation: number; readonly splitSeed: number; readonly pixels: "unit" | "standard";
};

function assemble(raw: RawFashionMnist, spec: ResolvedSpec, name: ArgName): Dataset {
  const [height, width] = raw.train.imageDims;
  const { train, validation } = splitOffValidation(examples(raw.train, spec.pixels), spec.validation, spec.splitSeed, name("validation"));
  return {
    name: "fashion-mnist",
    source: spec.source,
    spec,
    inputShape: [height, width, 1],
    features: height * width,
    numClasses: FASHION_MNIST_CLASS_NAMES.length,
    classNames: FASHION_MNIST_CLASS_NAMES,
    train,
    validation,
    test: wholeSplit(examples(raw.test, spec.pixels)),
  };
}

/** Validates `input` (options or a spec; `extraKeys` admits a spec's `name`) and loads the data. */
export async function loadFashionMnist(input: unknown, name: ArgName, extraKeys: readonly string[] = []): Promise<Dataset> {
  const options = expectOptions(input, name(), [...extraKeys, ...FASHION_MNIST_OPTION_KEYS]);
  const source = options.source === undefined ? "auto" : expectOneOf(options.source, name("source"), SOURCES);
  const path = options.path === undefined ? undefined : expectNonEmptyString(options.path, name("path"));
  const validation = options.validation === undefined ? 0.1 : expectValidation(options.validation, name("validation"));
  const splitSeed = options.splitSeed === undefined ? 0 : expectInteger(options.splitSeed, name("splitSeed"));
  const pixels = options.pixels === undefined ? "standard" : expectOneOf(options.pixels, name("pixels"), PIXELS);

  const found = locateSource(source, path, name);
  const raw = found.source === "full"
    ? await readFashionMnistFolder(found.where, found.folder, officialContents(found.where))
    : await readEmbedded(name());
  // The resolved source goes into the spec, so reloading it never silently swaps full for embedded.
  const spec: ResolvedSpec = { name: "fashion-mnist", source: found.source, validation, splitSeed, pixels, ...(path === undefined ? {} : { path }) };
  return assemble(raw, spec, name);
}

/**
 * Fashion-MNIST with standardised pixels (or [0, 1] with `pixels: "unit"`) and a stratified
 * validation split held out of train.
 *
 * @example
 * const data = await fashionMnist({ validation: 5000, splitSeed: 1 });
 * data.source; // "full" on a machine with the Debian package, else "embedded"
 */
export function fashionMnist(options?: FashionMnistOptions): Promise<Dataset> {
  return loadFashionMnist(options, argName("fashionMnist", "options"));
}
