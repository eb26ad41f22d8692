// Trunk post-build hook (see Trunk.toml): writes a Brotli (`.br`) and a gzip (`.gz`) copy of each
// text and WASM file of a release build, which the back end serves by Accept-Encoding
// (backend/src/web: ServeDir's precompressed variants). Compressing once at build time allows
// the slowest, smallest settings: Brotli at quality 11 is nearly a quarter smaller than gzip -9
// on our WASM. Browsers send `br` to https and to localhost; others get the gzip copy.
// Node's zlib only, so nothing is needed beyond the Node.js that already runs wasm-opt.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run by trunk build: TRUNK_STAGING_DIR is not set');
// Debug builds are for `trunk serve`; their WASM is large and compressing it would only be slow.
if (process.env.TRUNK_PROFILE !== 'release') process.exit(0);

const COMPRESSIBLE = /\.(html|js|mjs|css|wasm|json|svg|txt)$/;

for (const name of readdirSync(dir)) {
  if (!COMPRESSIBLE.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  const variants = {
    br: brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        ...(name.endsWith('.wasm') ? {} : { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT }),
      },
    }),
    gz: gzipSync(raw, { level: 9 }),
  };
  // A copy that is not smaller is left out; the back end then sends the file as it is.
  for (const [ext, data] of Object.entries(variants)) {
    if (data.length < raw.length) writeFileSync(`${path}.${ext}`, data);
  }
}
