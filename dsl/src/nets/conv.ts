import * as tf from "@tensorflow/tfjs";
import { checkNonNegativeInt } from "../validate.js";
import { argError } from "../errors.js";
import { Net, heNormal, zeros, type NetDefinition } from "./net.js";
import { matMul } from "./ops.js";
import type { ConvSpec } from "./spec.js";

export interface ConvOptions {
  readonly seed?: number;
  readonly input?: readonly [number, number, number];
  readonly classes?: number;
  /** Multiplies every conv and hidden dense width (rounded, at least 1). */
  readonly width?: number;
}

const scaled = (w: number, width: number) => Math.max(1, Math.round(w * width));

/** Conv-2 of the lottery-ticket paper: 64-64-pool, dense 256-256-classes. */
export function conv2(options: ConvOptions = {}): Net {
  return convPreset("conv2", [64, 64, "pool"], options);
}

/** Conv-4 of the lottery-ticket paper: 64-64-pool-128-128-pool, dense 256-256-classes. */
export function conv4(options: ConvOptions = {}): Net {
  return convPreset("conv4", [64, 64, "pool", 128, 128, "pool"], options);
}

function convPreset(call: string, convs: (number | "pool")[], options: ConvOptions): Net {
  const seed = checkNonNegativeInt(call, "options.seed", options.seed ?? 0);
  const width = options.width ?? 1;
  if (typeof width !== "number" || !(width > 0)) throw argError(call, "options.width", "a positive number", width);
  const classes = options.classes ?? 10;
  return new Net(defineConv({
    kind: "conv",
    input: options.input ?? [28, 28, 1],
    convs: convs.map((c) => (c === "pool" ? c : scaled(c, width))),
    dense: [scaled(256, width), scaled(256, width), classes],
    seed,
  }));
}

/** The layers of a conv spec: each 3×3 conv with its input size, whether a 2×2 pool follows, and the dense layers after the flatten. */
export interface ConvLayout {
  readonly convs: readonly { readonly name: string; readonly in: number; readonly out: number; readonly height: number; readonly width: number; readonly poolAfter: boolean }[];
  /** Values per example after the last conv (and pool): the first dense layer's input. */
  readonly flat: number;
  readonly dense: readonly { readonly name: string; readonly in: number; readonly out: number }[];
}

export function convLayout(spec: ConvSpec, call = "conv"): ConvLayout {
  let [h, w, c] = spec.input;
  const convs: { name: string; in: number; out: number; height: number; width: number; poolAfter: boolean }[] = [];
  for (const item of spec.convs) {
    if (item === "pool") {
      if (convs.length === 0 || convs[convs.length - 1].poolAfter) throw argError(call, "spec.convs", "a conv width before each pool", spec.convs);
      if (h < 2 || w < 2) throw argError(call, "spec.convs", `pools only on maps of at least 2×2 (this one is ${h}×${w})`, spec.convs);
      convs[convs.length - 1].poolAfter = true;
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    } else {
      convs.push({ name: `conv${convs.length + 1}`, in: c, out: item, height: h, width: w, poolAfter: false });
      c = item;
    }
  }
  const flat = h * w * c;
  return { convs, flat, dense: spec.dense.map((out, i) => ({ name: `fc${i + 1}`, in: i === 0 ? flat : spec.dense[i - 1], out })) };
}

export function defineConv(spec: ConvSpec): NetDefinition {
  const { convs: convLayers, flat, dense: denseLayers } = convLayout(spec);
  return {
    spec,
    parameters: [
      ...convLayers.flatMap((l) => [
        { name: `${l.name}.kernel`, shape: [3, 3, l.in, l.out], init: heNormal(9 * l.in), prunable: "conv" as const },
        { name: `${l.name}.bias`, shape: [l.out], init: zeros },
      ]),
      ...denseLayers.flatMap((l) => [
        { name: `${l.name}.kernel`, shape: [l.in, l.out], init: heNormal(l.in), prunable: "dense" as const },
        { name: `${l.name}.bias`, shape: [l.out], init: zeros },
      ]),
    ],
    forward: (p, x) => {
      let a: tf.Tensor4D = tf.reshape(x, [x.shape[0], ...spec.input]);
      for (const l of convLayers) {
        a = tf.relu(tf.add(tf.conv2d(a, p.get(`${l.name}.kernel`) as tf.Tensor4D, 1, "same"), p.get(`${l.name}.bias`)!)) as tf.Tensor4D;
        if (l.poolAfter) a = tf.maxPool(a, 2, 2, "valid") as tf.Tensor4D;
      }
      let v: tf.Tensor2D = tf.reshape(a, [a.shape[0], flat]);
      denseLayers.forEach((l, i) => {
        v = tf.add(matMul(v, p.get(`${l.name}.kernel`) as tf.Tensor2D), p.get(`${l.name}.bias`)!);
        if (i < denseLayers.length - 1) v = tf.relu(v);
      });
      return v;
    },
  };
}
