/**
 * WebGPU in Node (src/node/webgpuNode.ts): Dawn from the npm package `webgpu` over a Vulkan
 * driver. On a machine without a GPU the driver is SwiftShader from Debian's chromium-common
 * (`npm test` runs tests/e2e/ensure-chromium.mjs before the unit tests for this).
 *
 * The numeric checks run the project's generator (small config) on wasm first, then on
 * webgpu in the same process, from the same seeds; tensors never cross backends (moving data
 * off webgpu in Node would need OffscreenCanvas). Failure paths run in child processes, since
 * the Vulkan loader reads the driver variables once per process.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/core/backend';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { Rng } from '../../src/core/rng';
import { wasmDir } from '../../src/node/backend';
import {
  chooseVulkanIcd,
  describeAdapter,
  isLavapipeManifest,
  isSoftwareAdapter,
  nodeWebGpuInfo,
  provideNodeWebGpu,
  releaseNodeWebGpu,
  SWIFTSHADER_ICD_PATHS,
  type FsView,
} from '../../src/node/webgpuNode';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function fakeFs(files: string[]): FsView {
  return {
    exists: (f) => files.includes(f),
    list: (d) => files.filter((f) => path.dirname(f) === d).map((f) => path.basename(f)),
  };
}

describe('choosing the Vulkan driver', () => {
  const nvidia = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json';
  const swiftshader = SWIFTSHADER_ICD_PATHS[0];
  const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';

  it('honours VK_DRIVER_FILES, then VK_ICD_FILENAMES, as they are', () => {
    const fs = fakeFs([nvidia, swiftshader]);
    expect(chooseVulkanIcd({ VK_ICD_FILENAMES: '/x/a.json' }, fs)).toEqual({ icd: '/x/a.json', source: 'VK_ICD_FILENAMES' });
    expect(chooseVulkanIcd({ VK_DRIVER_FILES: '/y/b.json', VK_ICD_FILENAMES: '/x/a.json' }, fs)).toEqual({ icd: '/y/b.json', source: 'VK_DRIVER_FILES' });
  });

  it('prefers the NVIDIA driver, then any driver the loader finds itself, then SwiftShader; never lavapipe', () => {
    expect(chooseVulkanIcd({}, fakeFs([nvidia, swiftshader, lavapipe]))).toEqual({ icd: nvidia, source: 'nvidia' });
    expect(chooseVulkanIcd({}, fakeFs(['/usr/share/vulkan/icd.d/intel_icd.x86_64.json', swiftshader]))).toEqual({ icd: null, source: 'system' });
    expect(chooseVulkanIcd({}, fakeFs([lavapipe, swiftshader]))).toEqual({ icd: swiftshader, source: 'swiftshader' });
    expect(chooseVulkanIcd({}, fakeFs([lavapipe]))).toBeNull();
    expect(chooseVulkanIcd({}, fakeFs([]))).toBeNull();
    expect(isLavapipeManifest(lavapipe)).toBe(true);
    expect(isLavapipeManifest(nvidia)).toBe(false);
  });

  it('describes an adapter in one line and tells software adapters apart', () => {
    const swift = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' };
    expect(isSoftwareAdapter(swift)).toBe(true);
    expect(describeAdapter(swift, true)).toBe('SwiftShader driver 5.0.0 (google/swiftshader, software adapter)');
    const gpu = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' };
    expect(isSoftwareAdapter(gpu)).toBe(false);
    expect(describeAdapter(gpu, false)).toBe('NVIDIA H200 (nvidia/hopper, hardware adapter)');
  });
});

/** Runs `code` (an ES module body) in a fresh Node with tsx, from the repository root. */
function runChild(code: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    // a guard against a hang (the point of one test below), not a timing check
    timeout: 180_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const PROVIDE_AND_REPORT = `
const { provideNodeWebGpu } = await import('./src/node/webgpuNode.ts');
try {
  console.log('ADAPTER ' + (await provideNodeWebGpu()));
} catch (e) {
  console.log('ERROR ' + JSON.stringify({ name: e.name, code: e.code, message: e.message }));
}`;

function parseError(stdout: string): { name: string; code: string; message: string } {
  const line = stdout.split('\n').find((l) => l.startsWith('ERROR '));
  if (!line) throw new Error(`no error reported; child printed:\n${stdout}`);
  return JSON.parse(line.slice('ERROR '.length));
}

describe('WebGPU in Node without a usable driver', () => {
  it('names the fix when VK_ICD_FILENAMES points at nothing', () => {
    const r = runChild(PROVIDE_AND_REPORT, { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '' });
    expect(r.status).toBe(0);
    const e = parseError(r.stdout);
    expect(e.name).toBe('NodeWebGpuError');
    expect(e.code).toBe('no-driver');
    expect(e.message).toContain('VK_ICD_FILENAMES=/nonexistent/icd.json');
    expect(e.message).toMatch(/ensure-chromium|--backend wasm/);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('names the fix when the driver named there gives Dawn no adapter', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddgan-icd-'));
    try {
      const manifest = path.join(dir, 'broken_icd.json');
      writeFileSync(manifest, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: path.join(dir, 'libnothing.so'), api_version: '1.0.5' } }));
      const r = runChild(PROVIDE_AND_REPORT, { VK_ICD_FILENAMES: manifest, VK_DRIVER_FILES: '' });
      expect(r.status).toBe(0);
      const e = parseError(r.stdout);
      expect(e.code).toBe('no-adapter');
      expect(e.message).toContain(`no adapter through VK_ICD_FILENAMES=${manifest}`);
      expect(e.message).toContain(SWIFTSHADER_ICD_PATHS[0]);
      expect(e.message.split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WebGPU in Node on this machine', () => {
  afterAll(async () => {
    await releaseNodeWebGpu();
  });

  it('a CLI that trains on webgpu and returns exits on its own', () => {
    const code = `
const tf = await import('@tensorflow/tfjs');
const { provideNodeWebGpu } = await import('./src/node/webgpuNode.ts');
const { useBackend } = await import('./src/core/backend.ts');
console.log('ADAPTER ' + (await provideNodeWebGpu()));
await useBackend('webgpu');
const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
const opt = tf.train.adam(0.1);
for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(tf.matMul(w, w))));
console.log('DONE ' + tf.getBackend() + ' ' + Array.from(await w.data()).map((v) => v.toFixed(3)).join(','));`;
    const r = runChild(code);
    expect(r.signal, `killed: the process did not exit by itself\n${r.stderr.slice(-2000)}`).toBeNull();
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^DONE webgpu /m);
  }, 240_000);

  // Small enough for SwiftShader (~40× slower than wasm): 16×16, two levels, batch 2.
  const cfg = defaultGeneratorConfig({ imageSize: 16, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 });
  const batch = 2;

  /** Generator output and the gradient of Σ w·G(x, k, z) for every parameter, on the current backend. */
  async function forwardAndGradients(): Promise<{ out: Float32Array; grads: Map<string, Float32Array> }> {
    const rng = new Rng(5);
    const n = cfg.imageSize * cfg.imageSize * cfg.channels;
    const G = Network.create(cfg, 1);
    const x = tf.tensor4d(rng.normalArray(batch * n), [batch, cfg.imageSize, cfg.imageSize, cfg.channels]);
    const z = tf.tensor2d(rng.normalArray(batch * cfg.nz), [batch, cfg.nz]);
    const w = tf.tensor4d(rng.normalArray(batch * n), [batch, cfg.imageSize, cfg.imageSize, cfg.channels]);
    const k = tf.tensor1d([1, 2], 'int32');
    try {
      const y = tf.tidy(() => G.apply(x, k, z));
      const out = (await y.data()) as Float32Array;
      y.dispose();
      const vars = [...G.params.vars.values()];
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(G.apply(x, k, z), w)) as tf.Scalar, vars);
      const result = new Map<string, Float32Array>();
      for (const [name, v] of G.params.vars) result.set(name, (await grads[v.name].data()) as Float32Array);
      tf.dispose([value, ...Object.values(grads)]);
      return { out, grads: result };
    } finally {
      tf.dispose([x, z, w, k]);
      G.dispose();
    }
  }

  it('provides navigator.gpu with an adapter, a one-line description, the same on a second call', async () => {
    const first = await provideNodeWebGpu();
    expect(first).toMatch(/\((.+, )?(software|hardware) adapter\)$/);
    expect(await provideNodeWebGpu()).toBe(first);
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeTruthy();
    const info = nodeWebGpuInfo()!;
    expect(info.description).toBe(first);
    if (info.architecture === 'swiftshader') expect(info.software).toBe(true);
    console.log(`webgpu adapter: ${first}; driver ${info.vulkanDriver ?? '(loader search)'} via ${info.driverSource}; loader ${info.vulkanLoader}; webgpu package ${info.dawnPackage}`);
  });

  it("the generator's forward pass and parameter gradients agree with wasm", async () => {
    await useBackend('wasm', { wasmPath: wasmDir() });
    const ref = await forwardAndGradients();

    await provideNodeWebGpu();
    await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const gpu = await forwardAndGradients();

    let forward = 0;
    for (let i = 0; i < ref.out.length; i++) forward = Math.max(forward, Math.abs(ref.out[i] - gpu.out[i]));

    // Per parameter: max |Δ| / max |g_wasm|. Gradients that are zero in exact arithmetic (a
    // bias right before a group norm, which removes it) are rounding noise (~1e-7) on both
    // backends, so the denominator is at least 1 % of the largest gradient of the network.
    let scale = 0;
    for (const g of ref.grads.values()) for (const v of g) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    let worstName = '';
    for (const [name, g] of ref.grads) {
      const h = gpu.grads.get(name)!;
      let num = 0;
      let den = 0;
      for (let i = 0; i < g.length; i++) {
        num = Math.max(num, Math.abs(g[i] - h[i]));
        den = Math.max(den, Math.abs(g[i]));
      }
      const rel = num / Math.max(den, 0.01 * scale);
      if (rel > worst) [worst, worstName] = [rel, name];
    }
    console.log(`webgpu vs wasm: forward max |Δ| ${forward.toExponential(2)}; gradients worst relative ${worst.toExponential(2)} (${worstName}) over ${ref.grads.size} parameters`);
    expect(forward).toBeLessThanOrEqual(2.5e-5);
    expect(worst).toBeLessThanOrEqual(2.1e-4);
  }, 300_000); // SwiftShader is slow, and slower still on a busy machine

  it('adds more tensors at once than a shader may bind (the trainers\' gradient norms add one per parameter)', async () => {
    await provideNodeWebGpu();
    await useBackend('webgpu');
    const before = tf.memory().numTensors;
    for (const n of [7, 8, 50, 146]) {
      const terms = Array.from({ length: n }, (_, i) => tf.fill([3, 4], i + 1));
      const sum = tf.addN(terms);
      const values = await sum.data();
      expect(Array.from(values)).toEqual(new Array(12).fill((n * (n + 1)) / 2));
      tf.dispose([sum, ...terms]);
    }
    expect(tf.memory().numTensors).toBe(before);
    if (nodeWebGpuInfo()!.software) expect(tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE')).toBe(3);
  });
});
