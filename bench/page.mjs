// Page weight and time to interactive of the built front end, in headless Chromium on localhost.
// Usage: node bench/page.mjs [path-to-karacrix-mail] [static-dir]
//   (build first: scripts/lib.sh's build_frontend, i.e. trunk build --release with its RUSTFLAGS)
// "Interactive" = the app is mounted and its WebSocket delivered live state (badge online).
// Transfer = what the browser received for the page (headers and bodies, as encoded on the wire).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright';

const binary = process.argv[2] ?? 'target/release/karacrix-mail';
const staticDir = process.argv[3] ?? 'frontend/dist';
const data = mkdtempSync(join(tmpdir(), 'karacrix-page-'));
const server = spawn(binary, ['--listen', '127.0.0.1:0', '--data-dir', data, '--static-dir', staticDir,
  '--sandbox-smtp-port', '0', '--sandbox-submission-port', '0', '--sandbox-smtps-port', '0',
  '--sandbox-pop3-port', '0', '--sandbox-pop3s-port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((done) => {
  let out = '';
  server.stdout.on('data', (c) => { out += c; const m = out.match(/simulator: (\S+)/); if (m) done(m[1]); });
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
  '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

// The encoding each file arrived in (Chromium sends `Accept-Encoding: gzip, deflate, br, zstd` to
// http://127.0.0.1; the back end answers with the precompressed Brotli copies).
const encodings = new Map();
function recordEncoding(response) {
  const name = new URL(response.url()).pathname;
  if (name !== '/ws') encodings.set(name, response.headers()['content-encoding'] ?? 'identity');
}

async function load(page) {
  const t0 = Date.now();
  await page.goto(url);
  await page.locator('[data-testid=link-state][data-state=online]').waitFor();
  const tti = Date.now() - t0;
  const bytes = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, nav.transferSize);
  });
  return { tti, bytes };
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold = [], warm = [];
let coldBytes = 0;
for (let i = 0; i < 7; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('response', recordEncoding);
  const first = await load(page);
  cold.push(first.tti); coldBytes = first.bytes;
  warm.push((await load(page)).tti);
  await context.close();
}
for (const [name, encoding] of encodings) console.log(`${name}: Content-Encoding ${encoding}`);
console.log(`| transfer (HTML+JS+WASM+CSS) | ${(coldBytes / 1024).toFixed(1)} KB |`);
console.log(`| time to interactive, cold (median of 7) | ${median(cold)} ms |`);
console.log(`| time to interactive, warm (median of 7) | ${median(warm)} ms |`);
await browser.close();
server.kill();
