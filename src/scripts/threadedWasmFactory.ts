/**
 * Vite plugin: keeps tfjs-backend-wasm's threaded-SIMD Emscripten factory runnable in its
 * pthread workers after a production build (src/worker/wasmThreads.ts explains the rest).
 *
 * tfjs-backend-wasm 4.22 starts every pthread worker from the *text* of the factory
 * function: `new Blob(['var WasmBackendModuleThreadedSimd = ' + factory.toString()])`. The
 * function must therefore be self-contained source. It is not after minification: the
 * minifier renames `_scriptDir`, a variable of the enclosing scope, to a one-letter name and
 * rewrites the guard `typeof _scriptDir !== "undefined"` to `e !== void 0`, a bare
 * reference, so each pthread dies with "ReferenceError: e is not defined" (seen with Vite
 * 8.3) and the engine with it. The dev server does not minify, so threads worked there.
 *
 * The fix keeps the package's source as a string, which no minifier touches, and evaluates
 * it with `new Function`: the factory's `toString()` is then the package's own text, in
 * which `_scriptDir` is only read behind `typeof`. Cost: the factory (55 kB) ships
 * unminified. Only this one file of the package is changed, and only in builds.
 */
import type { Plugin } from 'vite';

/** The Emscripten glue of the threaded-SIMD build, as Vite names it (a query may follow). */
const THREADED_FACTORY = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js(?:\?.*)?$/;

/** The ES module that replaces the package's CommonJS file (exported for the unit test). */
export function wrapThreadedFactory(source: string): string {
  return [
    '// tfjs-backend-wasm threaded-SIMD factory, kept as text (src/scripts/threadedWasmFactory.ts)',
    `const source = ${JSON.stringify(source)};`,
    "const factory = new Function(source + '\\nreturn WasmBackendModuleThreadedSimd;')();",
    'export default factory;',
    '',
  ].join('\n');
}

export function threadedWasmFactoryPlugin(): Plugin {
  return {
    name: 'ddgan-threaded-wasm-factory',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      if (!THREADED_FACTORY.test(id)) return null;
      if (!code.includes('var WasmBackendModuleThreadedSimd')) {
        this.error(`${id} no longer defines WasmBackendModuleThreadedSimd: check src/scripts/threadedWasmFactory.ts against this tfjs-backend-wasm version`);
      }
      return { code: wrapThreadedFactory(code), map: null };
    },
  };
}
