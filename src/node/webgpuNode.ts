/**
 * WebGPU in Node: `navigator.gpu` from the npm package `webgpu` (Dawn, Chrome's WebGPU
 * implementation, shipped as a prebuilt `dist/linux-x64/dawn.node` inside the package; its
 * install step downloads nothing) over a Vulkan driver.
 *
 *   const adapter = await provideNodeWebGpu();   // e.g. "SwiftShader driver 5.0.0 (google/swiftshader, software adapter)"
 *   await tf.setBackend('webgpu');
 *
 * It must run BEFORE `@tensorflow/tfjs-backend-webgpu` is imported: that package registers
 * its backend at import time only if `navigator.gpu` exists then. It imports that package
 * itself once `navigator.gpu` is set (src/core/backend.ts then finds the backend
 * registered), and adjusts two things of tfjs-backend-webgpu 4.22 (see below: AddN with more
 * than 7 inputs, and the matmul shader on software adapters).
 *
 * What it sets up on Linux (Dawn talks to the GPU through Vulkan):
 *  - the Vulkan loader `libvulkan.so.1`: the system's (Debian `libvulkan1`) if the dynamic
 *    linker finds it, else the copy Debian's Chromium ships in /usr/lib/chromium, loaded by
 *    its path so that Dawn's own `dlopen("libvulkan.so.1")` finds it by its soname;
 *  - the driver (ICD): `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` when set (honoured as they
 *    are), else the NVIDIA driver's manifest, else the loader's own search when it holds a
 *    driver other than Mesa's lavapipe (which Dawn rejects), else SwiftShader, the CPU
 *    Vulkan driver of Debian's `chromium-common` (`node tests/e2e/ensure-chromium.mjs`
 *    installs it). The choice is written to `VK_ICD_FILENAMES` in this process's
 *    environment, where the loader reads it.
 * Then it asks Dawn for an adapter and fails with a one-line message that names the fix
 * when there is none. Calling it again returns the same answer.
 *
 * Process exit: the `webgpu` package's README warns that a live `navigator.gpu` can keep
 * Node running. With webgpu 0.6.2 a CLI that trained on webgpu and returned exited by itself
 * here, also without the hook below (tests/node/webgpuNode.test.ts checks the exit); still,
 * `releaseNodeWebGpu()` ends everything explicitly (tfjs backend removed, device destroyed,
 * `navigator.gpu` deleted), and a `beforeExit` hook calls it, so nothing of Dawn's outlives
 * the program's own work.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerChunkedAddN } from '../core/kernels/webgpuAddN';

const require = createRequire(import.meta.url);

/** What was found, and where. */
export interface NodeWebGpuInfo {
  /** One line: "SwiftShader driver 5.0.0 (google/swiftshader, software adapter)". */
  readonly description: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  /** The driver's own description (e.g. "SwiftShader driver 5.0.0"). */
  readonly driver: string;
  /** A CPU emulation (SwiftShader, lavapipe/llvmpipe, a fallback adapter): ~40× slower than wasm. */
  readonly software: boolean;
  /** Linux: the Vulkan loader in use ('system' = found by the dynamic linker), else null. */
  readonly vulkanLoader: string | null;
  /** Linux: the ICD manifest(s) in VK_ICD_FILENAMES / VK_DRIVER_FILES, or null for the loader's own search. */
  readonly vulkanDriver: string | null;
  /** How the driver was chosen. */
  readonly driverSource: IcdChoice['source'] | null;
  /** The `webgpu` package version. */
  readonly dawnPackage: string;
}

/** Where the NVIDIA driver's Vulkan manifest is usually installed (the last: NVIDIA container toolkit mounts). */
export const NVIDIA_ICD_PATHS = [
  '/usr/share/vulkan/icd.d/nvidia_icd.json',
  '/etc/vulkan/icd.d/nvidia_icd.json',
  '/usr/local/share/vulkan/icd.d/nvidia_icd.json',
  '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
  '/usr/share/vulkan/icd.d/nvidia_icd.x86_64.json',
  '/etc/vulkan/icd.d/nvidia_icd.x86_64.json',
] as const;

/** SwiftShader's manifest as Chromium packages install it (Debian chromium-common first). */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
] as const;

/** The folders the Vulkan loader searches for driver manifests by itself. */
export const LOADER_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'] as const;

/** A Vulkan loader that is not on the linker's path but ships with Debian's Chromium. */
export const BUNDLED_LOADER_PATHS = ['/usr/lib/chromium/libvulkan.so.1'] as const;

export interface IcdChoice {
  /** Value for VK_ICD_FILENAMES; null = leave the loader to its own search. */
  readonly icd: string | null;
  readonly source: 'VK_ICD_FILENAMES' | 'VK_DRIVER_FILES' | 'nvidia' | 'system' | 'swiftshader';
}

/** Minimal file-system view, so the choice can be tested without touching /usr. */
export interface FsView {
  exists(file: string): boolean;
  /** Names in a folder ([] when it does not exist). */
  list(dir: string): string[];
}

const realFs: FsView = {
  exists: (f) => existsSync(f),
  list: (d) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  },
};

/** True for Mesa's lavapipe (lvp) manifest, which Dawn rejects as an adapter. */
export function isLavapipeManifest(file: string): boolean {
  return /(^|\/)lvp_icd[^/]*\.json$/.test(file) || /lavapipe/i.test(path.basename(file));
}

/**
 * Picks the Vulkan driver: VK_DRIVER_FILES / VK_ICD_FILENAMES → NVIDIA → the loader's own folders (when they hold
 * anything but lavapipe) → SwiftShader. Returns null when there is none.
 */
export function chooseVulkanIcd(env: NodeJS.ProcessEnv = process.env, fs: FsView = realFs): IcdChoice | null {
  // Vulkan loaders ≥ 1.3.207 read VK_DRIVER_FILES first; older ones only VK_ICD_FILENAMES.
  const driverFiles = env.VK_DRIVER_FILES?.trim();
  if (driverFiles) return { icd: driverFiles, source: 'VK_DRIVER_FILES' };
  const fromEnv = env.VK_ICD_FILENAMES?.trim();
  if (fromEnv) return { icd: fromEnv, source: 'VK_ICD_FILENAMES' };
  const nvidia = NVIDIA_ICD_PATHS.find((f) => fs.exists(f));
  if (nvidia) return { icd: nvidia, source: 'nvidia' };
  const others = LOADER_ICD_DIRS.flatMap((d) => fs.list(d).filter((n) => n.endsWith('.json')).map((n) => `${d}/${n}`));
  if (others.some((f) => !isLavapipeManifest(f))) return { icd: null, source: 'system' };
  const swiftshader = SWIFTSHADER_ICD_PATHS.find((f) => fs.exists(f));
  if (swiftshader) return { icd: swiftshader, source: 'swiftshader' };
  return null;
}

const RTLD_NOW = 2;
/** glibc's RTLD_NODELETE (not in os.constants.dlopen): the library stays after the failed addon load. */
const RTLD_NODELETE = 0x1000;

/**
 * Loads `file` (a name the dynamic linker searches for, or a path) into this process and
 * keeps it there. `process.dlopen` then refuses it as a Node addon ("did not self-register"),
 * which is expected: what matters is that the linker could open it.
 */
function preloadLibrary(file: string): { ok: true } | { ok: false; why: string } {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, file, RTLD_NOW | RTLD_NODELETE);
    return { ok: true };
  } catch (e) {
    const why = (e as Error).message;
    if (/did not self-register|no such symbol|napi_register_module/i.test(why)) return { ok: true };
    return { ok: false, why: why.split('\n')[0] };
  }
}

/**
 * Makes sure `libvulkan.so.1` can be opened by Dawn; returns 'system' or the path of the
 * copy it loaded, or null when there is no loader.
 */
export function ensureVulkanLoader(fs: Pick<FsView, 'exists'> = realFs): string | null {
  if (preloadLibrary('libvulkan.so.1').ok) return 'system';
  for (const file of BUNDLED_LOADER_PATHS) {
    if (fs.exists(file) && preloadLibrary(file).ok) return file;
  }
  return null;
}

/** The classes of failure, each with its own fix. */
export class NodeWebGpuError extends Error {
  constructor(
    message: string,
    readonly code: 'no-loader' | 'no-driver' | 'no-adapter' | 'no-package' | 'unsupported' | 'too-late',
  ) {
    super(message);
    this.name = 'NodeWebGpuError';
  }
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}

/** "SwiftShader driver 5.0.0 (google/swiftshader, software adapter)". */
export function describeAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string }, software: boolean): string {
  const name = info.description?.trim() || info.device?.trim() || 'unnamed adapter';
  const arch = [info.vendor, info.architecture].filter((s) => s && s.trim()).join('/');
  return `${name} (${arch ? `${arch}, ` : ''}${software ? 'software adapter' : 'hardware adapter'})`;
}

export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  return /swiftshader|llvmpipe|lavapipe|software|warp|microsoft basic render/i.test(text);
}

function dawnPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('webgpu/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * tfjs-backend-webgpu picks a matmul shader by output size; for small outputs (dense layers,
 * the group norms' matmuls at batch ≤ 16) it picks MatMulReduceProgram, a workgroup
 * reduction with barriers, which SwiftShader runs ~25 ms per call whatever the size. The
 * tiled MatMulPackedProgram (type 3) made the project's generator 5× faster there (16×16
 * test config, batch 2: 1.9 s → 0.37 s per call, same results within 3.4e-6). Set only
 * for software adapters, and only if nobody set the flag first.
 */
export const SOFTWARE_MATMUL_PROGRAM_TYPE = 3;

function preferPackedMatMul(): void {
  if ('WEBGPU_MATMUL_PROGRAM_TYPE' in tf.env().getFlags()) return; // set by the caller
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', SOFTWARE_MATMUL_PROGRAM_TYPE);
}

let provided: Promise<NodeWebGpuInfo> | null = null;
let info: NodeWebGpuInfo | null = null;
let ownGpu: GpuLike | null = null;
let exitHookInstalled = false;

/** The adapter found by `provideNodeWebGpu`, or null before it succeeded. */
export function nodeWebGpuInfo(): NodeWebGpuInfo | null {
  return info;
}

function setNavigatorGpu(gpu: GpuLike | undefined): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (gpu === undefined) {
    if (g.navigator && 'gpu' in g.navigator) {
      try {
        delete g.navigator.gpu;
      } catch {
        // a read-only navigator (not ours): nothing to undo
      }
    }
    return;
  }
  if (g.navigator === undefined) {
    // Node 20 has no navigator; Node ≥ 21 has a read-only one, extended below.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return;
  }
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
}

async function provide(): Promise<NodeWebGpuInfo> {
  if (!['linux', 'darwin', 'win32'].includes(process.platform) || !['x64', 'arm64'].includes(process.arch)) {
    throw new NodeWebGpuError(`WebGPU in Node: the webgpu package has no Dawn build for ${process.platform}-${process.arch}; use --backend wasm`, 'unsupported');
  }
  let vulkanLoader: string | null = null;
  let choice: IcdChoice | null = null;
  if (process.platform === 'linux') {
    vulkanLoader = ensureVulkanLoader();
    if (!vulkanLoader) {
      throw new NodeWebGpuError(
        'WebGPU in Node needs the Vulkan loader libvulkan.so.1, and neither the system nor /usr/lib/chromium has one: install it (apt-get install libvulkan1) or Chromium (node tests/e2e/ensure-chromium.mjs), or use --backend wasm',
        'no-loader',
      );
    }
    choice = chooseVulkanIcd();
    if (!choice) {
      throw new NodeWebGpuError(
        'WebGPU in Node found no Vulkan driver: set VK_ICD_FILENAMES to your GPU driver\'s manifest (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json), or install Chromium for its SwiftShader CPU driver (node tests/e2e/ensure-chromium.mjs; Mesa\'s lavapipe does not work with Dawn), or use --backend wasm',
        'no-driver',
      );
    }
    if (choice.icd) {
      const listed = choice.icd.split(':').filter(Boolean);
      if (!listed.some((f) => existsSync(f))) {
        throw new NodeWebGpuError(
          `WebGPU in Node: ${choice.source}=${choice.icd} names no existing file: point it at a Vulkan driver manifest (the GPU's, e.g. /usr/share/vulkan/icd.d/nvidia_icd.json, or SwiftShader's ${SWIFTSHADER_ICD_PATHS[0]} from node tests/e2e/ensure-chromium.mjs), unset it to search, or use --backend wasm`,
          'no-driver',
        );
      }
      if (choice.source !== 'VK_ICD_FILENAMES') process.env.VK_ICD_FILENAMES = choice.icd;
    }
  }

  let mod: { create(options: string[]): unknown; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new NodeWebGpuError(`WebGPU in Node: the webgpu package (Dawn) could not be loaded (${(e as Error).message.split('\n')[0]}); run npm install`, 'no-package');
  }
  // GPUBufferUsage, GPUMapMode, GPUTextureUsage … are globals in a browser; tfjs uses them.
  for (const [key, value] of Object.entries(mod.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const gpu = mod.create([]) as GpuLike;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const where =
      choice === null
        ? 'the system'
        : choice.icd === null
          ? `the drivers in ${LOADER_ICD_DIRS.join(', ')}`
          : `${choice.source === 'VK_DRIVER_FILES' ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'}=${choice.icd}`;
    throw new NodeWebGpuError(
      `WebGPU in Node: Dawn found no adapter through ${where}: point VK_ICD_FILENAMES at a working Vulkan driver manifest (the GPU's, or SwiftShader's ${SWIFTSHADER_ICD_PATHS[0]} from node tests/e2e/ensure-chromium.mjs; lavapipe is rejected), or use --backend wasm`,
      'no-adapter',
    );
  }
  const a = adapter.info ?? {};
  const software = isSoftwareAdapter({ ...a, isFallbackAdapter: a.isFallbackAdapter ?? adapter.isFallbackAdapter });
  ownGpu = gpu;
  setNavigatorGpu(gpu);
  if (!tf.findBackendFactory('webgpu')) {
    if (Object.keys(require.cache).some((k) => k.includes(`${path.sep}tfjs-backend-webgpu${path.sep}`))) {
      // It registers its backend at import time only when navigator.gpu exists then.
      setNavigatorGpu(undefined);
      ownGpu = null;
      throw new NodeWebGpuError(
        'WebGPU in Node: @tensorflow/tfjs-backend-webgpu was imported before provideNodeWebGpu() ran, so it did not register its backend; import it (dynamically) after that call',
        'too-late',
      );
    }
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  registerChunkedAddN('webgpu');
  if (software) preferPackedMatMul();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('beforeExit', () => void releaseNodeWebGpu());
  }
  return {
    description: describeAdapter(a, software),
    vendor: a.vendor ?? '',
    architecture: a.architecture ?? '',
    device: a.device ?? '',
    driver: a.description ?? '',
    software,
    vulkanLoader,
    vulkanDriver: process.platform === 'linux' ? (process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || null) : null,
    driverSource: choice?.source ?? null,
    dawnPackage: dawnPackageVersion(),
  };
}

/**
 * Sets `globalThis.navigator.gpu` to Dawn's WebGPU and checks that it has an adapter.
 * Returns a one-line description of the adapter; throws a `NodeWebGpuError` whose message
 * names the fix when there is none. Call it before importing tfjs-backend-webgpu.
 */
export async function provideNodeWebGpu(): Promise<string> {
  if (!provided) {
    const attempt = provide();
    provided = attempt;
    attempt.catch(() => {
      if (provided === attempt) provided = null; // a later call may try again (after a fix)
    });
  }
  info = await provided;
  return info.description;
}

/**
 * Ends WebGPU in this process: removes tfjs's webgpu backend (which destroys its device)
 * and deletes `navigator.gpu`, so nothing of Dawn's keeps Node running. Safe to call twice;
 * `provideNodeWebGpu` afterwards starts over.
 */
export async function releaseNodeWebGpu(): Promise<void> {
  if (!ownGpu) return;
  try {
    const backend = tf.findBackend('webgpu') as unknown as { device?: { destroy(): void } } | null;
    if (backend) {
      // removeBackend disposes the instance (its buffers) but also forgets the factory, which
      // is put back so that a later provideNodeWebGpu() + setBackend('webgpu') works again.
      const registry = (tf.engine() as unknown as { registryFactory?: Record<string, { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }> }).registryFactory;
      const entry = registry?.webgpu;
      tf.removeBackend('webgpu');
      if (entry) tf.registerBackend('webgpu', entry.factory, entry.priority);
      try {
        backend.device?.destroy(); // dispose() leaves the device alive
      } catch {
        // already destroyed
      }
    }
  } finally {
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator?.gpu === ownGpu) setNavigatorGpu(undefined);
    ownGpu = null;
    provided = null;
    info = null;
  }
}
