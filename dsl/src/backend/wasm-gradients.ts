import * as tf from "@tensorflow/tfjs";

type KernelFunc = (params: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }) => tf.TensorInfo;

let registered = false;

/**
 * The wasm backend ships no Conv2DBackpropFilter, so a ConvNet cannot train on it. This builds
 * the filter gradient from kernels wasm does have: dW[kh,kw,ci,co] = Σ x_pad[n, oh·s+kh, ow·s+kw, ci]
 * · dy[n,oh,ow,co] is a convolution of x (channels and batch swapped) with dy dilated by the stride.
 */
export function registerWasmGradients(): void {
  if (registered) return;
  registered = true;
  const kernel = (name: string): KernelFunc => {
    const k = tf.getKernel(name, "wasm");
    if (!k) throw new Error(`registerWasmGradients: the wasm backend has no ${name} kernel`);
    return k.kernelFunc as unknown as KernelFunc;
  };
  const [pad, transpose, conv2d, slice] = ["PadV2", "Transpose", "Conv2D", "Slice"].map(kernel);

  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: (({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad: padding, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number; pad: "valid" | "same" | number; dataFormat: string;
        dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number];
      };
      if (dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter (wasm): only NHWC is supported, received dataFormat NCHW");
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape,
        strides, 1, padding, dimRoundingMode, false, "channelsLast");
      const p = info.padInfo;
      const temporaries: tf.TensorInfo[] = [];
      const run = (k: KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: object) => {
        const out = k({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
        temporaries.push(out);
        return out;
      };
      const padded = p.top || p.bottom || p.left || p.right
        ? run(pad, { x }, { paddings: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], constantValue: 0 })
        : x;
      const channelsAsBatch = run(transpose, { x: padded }, { perm: [3, 1, 2, 0] }); // [ci, Hp, Wp, n]
      const dyAsFilter = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, n, co]
      let grad = run(conv2d, { x: channelsAsBatch, filter: dyAsFilter },
        { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth] });
      if (grad.shape[1] !== info.filterHeight || grad.shape[2] !== info.filterWidth) {
        grad = run(slice, { x: grad }, { begin: [0, 0, 0, 0], size: [grad.shape[0], info.filterHeight, info.filterWidth, grad.shape[3]] });
      }
      const result = transpose({ inputs: { x: grad }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [kh, kw, ci, co]
      for (const t of temporaries) if (t !== x) backend.disposeData(t.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  });
}
