/**
 * Which tfjs backend to run on, decided from what the WebGPU adapter is (DESIGN §4).
 *
 * Measured on a 2-core machine without a GPU: WebGPU on SwiftShader (a CPU emulation of a
 * GPU) reaches ~0.7 GFLOP/s on a small conv-net while wasm/XNNPACK reaches ~30 GFLOP/s. So a
 * fixed "webgpu first" order would make the app ~40× slower exactly where it is already
 * slowest. WebGPU is chosen only for a hardware adapter; otherwise wasm, then webgl, then
 * cpu. An explicit request is honoured as asked (no silent substitution): that is how a user
 * overrides the rule and how the tests prove the WebGPU chain on a software adapter.
 *
 * Pure: no navigator, no tfjs. The worker gathers the adapter facts and tries the returned
 * candidates in order.
 */
import type { AdapterFacts, BackendName, BackendRequest } from './protocol';

export interface BackendChoice {
  /** The first candidate: the backend the rule picked. */
  readonly backend: BackendName;
  /** Backends to try, in order; the worker falls through on initialisation failure. */
  readonly candidates: readonly BackendName[];
  readonly reason: string;
}

/**
 * Names of software rasterisers that expose a WebGPU adapter: SwiftShader (Chromium's
 * fallback), Mesa's llvmpipe / lavapipe / softpipe, and Windows' WARP ("Microsoft Basic
 * Render Driver"). Matched case-insensitively against every adapter info string, because
 * Chromium puts 'swiftshader' in `architecture` and other stacks put the name in
 * `description` or `device`.
 */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

const CPU_CHAIN: readonly BackendName[] = ['wasm', 'webgl', 'cpu'];
const GPU_CHAIN: readonly BackendName[] = ['webgpu', ...CPU_CHAIN];

/** Returns why the adapter counts as software, or null for a (presumed) hardware adapter. */
export function softwareAdapterReason(adapter: AdapterFacts): string | null {
  if (!adapter.available) return null;
  if (adapter.isFallbackAdapter) return 'the browser marks it as a fallback adapter';
  for (const field of ['architecture', 'description', 'device', 'vendor'] as const) {
    const m = SOFTWARE_ADAPTER.exec(adapter[field]);
    if (m) return `its ${field} names the software rasteriser "${m[0]}"`;
  }
  // Empty strings are common on real GPUs (browsers may withhold adapter info for privacy),
  // so absence of information is not evidence of a software adapter.
  return null;
}

/** A short human description of the adapter, for reasons and the UI. */
export function describeAdapter(adapter: AdapterFacts): string {
  if (!adapter.available) return `no WebGPU adapter (${adapter.detail})`;
  const parts = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter((s) => s.length > 0);
  const name = parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unnamed adapter';
  return adapter.isFallbackAdapter ? `${name} (fallback adapter)` : name;
}

export function chooseBackend(requested: BackendRequest, adapter: AdapterFacts): BackendChoice {
  if (requested !== 'auto') {
    return {
      backend: requested,
      candidates: [requested],
      reason: `${requested} was requested explicitly (adapter: ${describeAdapter(adapter)})`,
    };
  }
  if (!adapter.available) {
    return {
      backend: 'wasm',
      candidates: CPU_CHAIN,
      reason: `auto: ${describeAdapter(adapter)}, so wasm (the fastest CPU path), then webgl, then cpu`,
    };
  }
  const software = softwareAdapterReason(adapter);
  if (software !== null) {
    return {
      backend: 'wasm',
      candidates: CPU_CHAIN,
      reason:
        `auto: the WebGPU adapter (${describeAdapter(adapter)}) is software because ${software}; ` +
        'wasm is ~40× faster than WebGPU on a CPU-emulated GPU, so wasm, then webgl, then cpu',
    };
  }
  return {
    backend: 'webgpu',
    candidates: GPU_CHAIN,
    reason: `auto: hardware WebGPU adapter (${describeAdapter(adapter)}), so webgpu, falling back to wasm, webgl, cpu`,
  };
}
