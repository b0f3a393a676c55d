/**
 * The wasm conv gradient kernels against a direct, loop-by-loop reference written from the
 * definition of a convolution (no tfjs kernel involved), on random shapes.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, relError } from '../helpers';
import { Rng } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: 1 | 2;
  pad: 'same' | 'valid';
}

/** Forward geometry exactly as TensorFlow defines it. */
function geometry(c: Case) {
  const outH = c.pad === 'same' ? Math.ceil(c.h / c.stride) : Math.ceil((c.h - c.kh + 1) / c.stride);
  const outW = c.pad === 'same' ? Math.ceil(c.w / c.stride) : Math.ceil((c.w - c.kw + 1) / c.stride);
  const padTop = c.pad === 'same' ? Math.floor(Math.max((outH - 1) * c.stride + c.kh - c.h, 0) / 2) : 0;
  const padLeft = c.pad === 'same' ? Math.floor(Math.max((outW - 1) * c.stride + c.kw - c.w, 0) / 2) : 0;
  return { outH, outW, padTop, padLeft };
}

/** dW and dx of sum(conv(x, w) · dy), by direct summation. */
function reference(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const { outH, outW, padTop, padLeft } = geometry(c);
  const dw = new Float64Array(c.kh * c.kw * c.cin * c.cout);
  const dx = new Float64Array(c.n * c.h * c.w * c.cin);
  for (let b = 0; b < c.n; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let ky = 0; ky < c.kh; ky++)
          for (let kx = 0; kx < c.kw; kx++) {
            const iy = oy * c.stride + ky - padTop;
            const ix = ox * c.stride + kx - padLeft;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            for (let ci = 0; ci < c.cin; ci++) {
              const xi = ((b * c.h + iy) * c.w + ix) * c.cin + ci;
              for (let co = 0; co < c.cout; co++) {
                const g = dy[((b * outH + oy) * outW + ox) * c.cout + co];
                const wi = ((ky * c.kw + kx) * c.cin + ci) * c.cout + co;
                dw[wi] += x[xi] * g;
                dx[xi] += w[wi] * g;
              }
            }
          }
  return { dw, dx, outH, outW };
}

function randomCase(rng: Rng, stride: 1 | 2, pad: 'same' | 'valid'): Case {
  const k = [1, 3, 3, 5][rng.int(4)];
  return {
    n: 1 + rng.int(4),
    h: k + 2 + rng.int(9),
    w: k + 2 + rng.int(9),
    cin: 1 + rng.int(6),
    cout: 1 + rng.int(6),
    kh: k,
    kw: [1, 3].includes(k) ? k : 3,
    stride,
    pad,
  };
}

describe('wasm conv gradient kernels', () => {
  const rng = new Rng(2024);
  for (const stride of [1, 2] as const) {
    for (const pad of ['same', 'valid'] as const) {
      it(`match the direct reference to 1e-4 relative: stride ${stride}, '${pad}', 6 random shapes`, async () => {
        for (let trial = 0; trial < 6; trial++) {
          const c = randomCase(rng, stride, pad);
          const x = rng.normalArray(c.n * c.h * c.w * c.cin);
          const w = rng.normalArray(c.kh * c.kw * c.cin * c.cout);
          const { outH, outW } = geometry(c);
          const dy = rng.normalArray(c.n * outH * outW * c.cout);
          const want = reference(c, x, w, dy);
          const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cin]);
          const wt = tf.tensor4d(w, [c.kh, c.kw, c.cin, c.cout]);
          const dyt = tf.tensor4d(dy, [c.n, outH, outW, c.cout]);
          // the gradient of sum(conv(x, w) · dy) runs Conv2DBackpropInput and Conv2DBackpropFilter
          const [dxt, dwt] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad).mul(dyt).sum(),
          )([xt, wt]);
          const label = JSON.stringify(c);
          expect(relError(await dwt.data(), want.dw), label).toBeLessThan(1e-4);
          expect(relError(await dxt.data(), want.dx), label).toBeLessThan(1e-4);
          tf.dispose([xt, wt, dyt, dwt, dxt]);
        }
      });
    }
  }

  it('replace the stock kernels on wasm and leak no tensors', async () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const c: Case = { n: 2, h: 9, w: 7, cin: 3, cout: 4, kh: 3, kw: 3, stride: 2, pad: 'same' };
    const x = rng.normalArray(c.n * c.h * c.w * c.cin);
    const w = rng.normalArray(9 * c.cin * c.cout);
    const { outH, outW } = geometry(c);
    const dy = rng.normalArray(c.n * outH * outW * c.cout);
    const want = reference(c, x, w, dy);
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cin]);
    const wt = tf.tensor4d(w, [3, 3, c.cin, c.cout]);
    const dyt = tf.tensor4d(dy, [c.n, outH, outW, c.cout]);
    const before = tf.memory().numTensors;
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').mul(dyt).sum())([xt, wt]);
    expect(relError(await gx.data(), want.dx)).toBeLessThan(1e-4);
    expect(relError(await gw.data(), want.dw)).toBeLessThan(1e-4);
    tf.dispose([gx, gw]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xt, wt, dyt]);
  });

  it('support a gradient of a gradient through LeakyReLU (R1)', async () => {
    const rngLocal = new Rng(1);
    const w = tf.tensor4d(rngLocal.normalArray(9 * 2 * 3), [3, 3, 2, 3]);
    const x = tf.tensor4d(rngLocal.normalArray(2 * 6 * 6 * 2), [2, 6, 6, 2]);
    const penalty = (wv: tf.Tensor) =>
      tf.grad((xv: tf.Tensor) => tf.leakyRelu(tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, 2, 'same'), 0.2).square().sum())(x)
        .square()
        .sum();
    const g = tf.grad(penalty)(w);
    // finite differences on one weight
    const eps = 1e-2;
    const idx = 7;
    const bump = (d: number) => {
      const wv = w.dataSync().slice();
      wv[idx] += d;
      return penalty(tf.tensor4d(wv, w.shape)).dataSync()[0];
    };
    const numeric = (bump(eps) - bump(-eps)) / (2 * eps);
    const analytic = (await g.data())[idx];
    expect(Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric))).toBeLessThan(2e-2);
  });
});
