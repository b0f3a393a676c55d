import { describe, expect, it } from 'vitest';
import { chooseBackend, describeAdapter, softwareAdapterReason } from '../../src/worker/chooseBackend';
import type { AdapterFacts } from '../../src/worker/protocol';

/** What headless Chromium reports on a machine without a GPU (DESIGN §4). */
const swiftShader: AdapterFacts = {
  available: true,
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: 'SwiftShader Device (Subzero)',
  isFallbackAdapter: true,
};

const nvidia: AdapterFacts = {
  available: true,
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H100',
  isFallbackAdapter: false,
};

const hw = (over: Partial<Extract<AdapterFacts, { available: true }>>): AdapterFacts => ({ ...nvidia, ...over });

describe('chooseBackend, auto', () => {
  it('picks webgpu for a hardware adapter, with the CPU chain behind it', () => {
    const c = chooseBackend('auto', nvidia);
    expect(c.backend).toBe('webgpu');
    expect(c.candidates).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(c.reason).toMatch(/hardware/);
    expect(c.reason).toMatch(/nvidia/);
  });

  it('picks wasm, then webgl, then cpu for SwiftShader', () => {
    const c = chooseBackend('auto', swiftShader);
    expect(c.backend).toBe('wasm');
    expect(c.candidates).toEqual(['wasm', 'webgl', 'cpu']);
    expect(c.reason).toMatch(/software/);
    expect(c.reason).toMatch(/fallback adapter/);
  });

  it('treats isFallbackAdapter alone as software, whatever the names say', () => {
    const c = chooseBackend('auto', hw({ isFallbackAdapter: true }));
    expect(c.backend).toBe('wasm');
    expect(softwareAdapterReason(hw({ isFallbackAdapter: true }))).toMatch(/fallback/);
  });

  it.each([
    ['architecture', { architecture: 'swiftshader' }],
    ['description', { description: 'SwiftShader Device (Subzero)' }],
    ['description', { description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }],
    ['device', { device: 'lavapipe' }],
    ['description', { description: 'Microsoft Basic Render Driver' }],
  ] as const)('recognises a software adapter by its %s (%o) even when not flagged', (field, over) => {
    const adapter = hw({ ...over, isFallbackAdapter: false });
    const c = chooseBackend('auto', adapter);
    expect(c.backend).toBe('wasm');
    expect(softwareAdapterReason(adapter)).toContain(field);
  });

  it('matches software names case-insensitively', () => {
    expect(chooseBackend('auto', hw({ architecture: 'SwiftShader' })).backend).toBe('wasm');
  });

  it('does not take empty adapter info for software (browsers may withhold it)', () => {
    const blank = hw({ vendor: '', architecture: '', device: '', description: '' });
    expect(chooseBackend('auto', blank).backend).toBe('webgpu');
    expect(describeAdapter(blank)).toBe('unnamed adapter');
  });

  it('picks wasm when there is no WebGPU at all, and says why', () => {
    const none: AdapterFacts = { available: false, detail: 'navigator.gpu is missing' };
    const c = chooseBackend('auto', none);
    expect(c.backend).toBe('wasm');
    expect(c.candidates).toEqual(['wasm', 'webgl', 'cpu']);
    expect(c.reason).toContain('navigator.gpu is missing');
  });
});

describe('chooseBackend, explicit request', () => {
  it.each(['webgpu', 'wasm', 'webgl', 'cpu'] as const)('honours %s on a software adapter, with no fallback', (name) => {
    const c = chooseBackend(name, swiftShader);
    expect(c.backend).toBe(name);
    expect(c.candidates).toEqual([name]);
    expect(c.reason).toMatch(/requested explicitly/);
  });

  it('honours webgpu even without an adapter (the init then fails loudly instead of substituting)', () => {
    const c = chooseBackend('webgpu', { available: false, detail: 'requestAdapter() returned null' });
    expect(c.candidates).toEqual(['webgpu']);
    expect(c.reason).toContain('requestAdapter() returned null');
  });

  it('honours wasm on a hardware adapter', () => {
    expect(chooseBackend('wasm', nvidia).candidates).toEqual(['wasm']);
  });
});

describe('describeAdapter', () => {
  it('joins the non-empty, distinct fields and marks fallback adapters', () => {
    expect(describeAdapter(swiftShader)).toBe('google / swiftshader / SwiftShader Device (Subzero) (fallback adapter)');
    expect(describeAdapter(hw({ vendor: 'apple', architecture: 'apple', description: '' }))).toBe('apple');
  });
});
