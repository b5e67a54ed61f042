import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** The wasm binaries of @tensorflow/tfjs-backend-wasm; the page points `setWasmPaths` at `tfjs-wasm/`. */
const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const WASM_DIR = 'tfjs-wasm';

/** Serves the wasm binaries in `vite dev` and emits them into the build, from the installed package. */
function tfjsWasmFiles(): Plugin {
  const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  return {
    name: 'netblocks-tfjs-wasm-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = req.url?.match(new RegExp(`/${WASM_DIR}/([\\w.-]+\\.wasm)$`))?.[1];
        if (file === undefined || !TFJS_WASM_FILES.includes(file)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(join(dist, file)));
      });
    },
    generateBundle() {
      for (const file of TFJS_WASM_FILES) {
        this.emitFile({ type: 'asset', fileName: `${WASM_DIR}/${file}`, source: readFileSync(join(dist, file)) });
      }
    },
  };
}

export default defineConfig({
  // Relative URLs: the built page works from any directory (a file server, GitHub Pages).
  base: './',
  plugins: [tfjsWasmFiles()],
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
