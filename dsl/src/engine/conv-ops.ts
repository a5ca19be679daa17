/*
 * The data movement of a ConvNet on row-major NHWC arrays, in plain JS: patches for a 3×3 "same"
 * convolution as a matrix product (im2col), and 2×2 max-pooling. The arithmetic is left to the
 * kernels.
 */

/** Runs at least this long move by copyWithin (a native memmove); shorter ones by a loop, cheaper than the call. */
const NATIVE_RUN = 32;

/**
 * Patches of a 3×3 "same" convolution as matrix rows, within one array `m` so that runs move by
 * copyWithin (JS loops copy several times slower): the images [n, h, w, c] at m[from …] become
 * cols [n·h·w, 9·c] at m[to …], row (b, y, x) the zero-padded 3×3 neighbourhood of pixel (b, y, x)
 * in (kh, kw, c) order — the row-major order of a [3, 3, c, cout] kernel, so cols·W is the conv.
 */
export function im2col(m: Float32Array, from: number, to: number, n: number, h: number, w: number, c: number): void {
  const line = w * c, tap3 = 3 * c, row = 9 * c, native = tap3 >= NATIVE_RUN;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let kh = 0; kh < 3; kh++) {
        // Kernel row kh of the patches along image row y reads image row y + kh − 1: at pixel px,
        // the 3·c values of pixels px − 1 … px + 1 in one run (2·c and zeros at the borders).
        let dst = to + (b * h + y) * w * row + kh * tap3;
        const sy = y + kh - 1;
        if (sy < 0 || sy >= h) {
          for (let px = 0; px < w; px++, dst += row) m.fill(0, dst, dst + tap3);
          continue;
        }
        const src = from + (b * h + sy) * line;
        for (let px = 0; px < w; px++, dst += row) {
          const lo = px === 0 ? c : 0, hi = px === w - 1 ? 2 * c : tap3, s = src + (px - 1) * c;
          if (lo > 0) m.fill(0, dst, dst + c);
          if (hi < tap3) m.fill(0, dst + hi, dst + tap3);
          if (native) m.copyWithin(dst + lo, s + lo, s + hi);
          else for (let i = lo; i < hi; i++) m[dst + i] = m[s + i];
        }
      }
    }
  }
}

/** 2×2 max-pool, stride 2, floor: out [n, ⌊h/2⌋, ⌊w/2⌋, c], and the flat index in x of each maximum. */
export function maxPool(x: Float32Array, n: number, h: number, w: number, c: number, out: Float32Array, argmax: Int32Array): void {
  const ph = h >> 1, pw = w >> 1, line = w * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const corner = (b * h + 2 * i) * line + 2 * j * c;
        for (let ch = 0; ch < c; ch++, o++) {
          const p0 = corner + ch, p1 = p0 + c, p2 = p0 + line, p3 = p2 + c;
          let at = x[p1] > x[p0] ? p1 : p0;
          if (x[p2] > x[at]) at = p2;
          if (x[p3] > x[at]) at = p3;
          out[o] = x[at];
          argmax[o] = at;
        }
      }
    }
  }
}

/** The pool's backward pass: dx (length `size`) is 0 except at each window's maximum, which gets dout. */
export function unpool(dout: Float32Array, argmax: Int32Array, count: number, dx: Float32Array, size: number): void {
  dx.fill(0, 0, size);
  for (let o = 0; o < count; o++) dx[argmax[o]] = dout[o];
}
