// The production build of the page: build/web/ (the unbundled tree that build-web.sh assembles:
// page sources, vendor libraries, the wasm module, the exported blobs) -> build/site/:
//
//   index.html              the only page; revalidated on every visit (Cache-Control: no-cache)
//   sw.js                   the service worker (web/service-worker.js + Workbox, precache list
//                           injected by workbox-build); revalidated, so updates are found
//   _headers                the cache policy for Netlify / Cloudflare Pages (see scripts/serve.mjs)
//   assets/                 everything else, named by its content (immutable for a year):
//     page-<h>.js  worker-<h>.js                 esbuild bundles, minified: the page's module graph
//                                                and the worker's, each one file
//     style-<h>.css                              the stylesheets, one file
//     wardrobe_{simd,scalar}-<h>.wasm            the wasm module
//     decoder-<h>.lwb encoder-<h>.lwb index-<h>.lwb, garments-<h>/p0000.bin ...   the data
//     app-<h>.webmanifest icon-*-<h>.png         installable web app
//   *.br, *.gz              precompressed copies, served by scripts/serve.mjs (nginx: *_static on)
//
//   node scripts/build-web.mjs [--from build/web] [--out build/site] [--fast]
// --fast compresses with brotli quality 5 only (tests that build extra sites). Content-hashed files
// of the previous build are reused (hard links) instead of compressed again. The new site is built
// beside the old one and swapped in at the end.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = 'assets';
const HASH_HEX = 16; // hex digits of SHA-256 in data file names
const TARGET = 'es2022';

const sha256 = (bytes, enc = 'hex') => crypto.createHash('sha256').update(bytes).digest(enc);
const rel = (p) => path.relative(repoRoot, p) || p;

function parseArgs(argv) {
  const opts = { from: path.join(repoRoot, 'build/web'), out: path.join(repoRoot, 'build/site'), fast: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') opts.from = path.resolve(argv[++i]);
    else if (a === '--out') opts.out = path.resolve(argv[++i]);
    else if (a === '--fast') opts.fast = true;
    else if (a === '-h' || a === '--help') {
      const lines = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option '${a}' (see --help)`);
  }
  return opts;
}

/** A staging directory for the new site; files already in the old site are hard-linked, not rebuilt. */
class Stage {
  constructor(out) {
    this.out = out;
    this.dir = `${out}.new`;
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, ASSETS), { recursive: true });
  }

  path(name) {
    return path.join(this.dir, name);
  }

  /** Links (or copies) src to name; when the old site has name (content-named), links that instead. */
  place(src, name) {
    const dst = this.path(name);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    const old = path.join(this.out, name);
    const from = fs.existsSync(old) ? old : src;
    try {
      fs.linkSync(from, dst);
    } catch {
      fs.copyFileSync(from, dst);
    }
    if (!COMPRESSIBLE.test(name)) return;
    for (const ext of ['.br', '.gz']) {
      if (fs.existsSync(old + ext) && !fs.existsSync(dst + ext)) fs.linkSync(old + ext, dst + ext);
    }
  }

  write(name, data) {
    fs.mkdirSync(path.dirname(this.path(name)), { recursive: true });
    fs.writeFileSync(this.path(name), data);
  }

  /** Replaces the old site with this one. */
  swap() {
    const old = `${this.out}.old`;
    fs.rmSync(old, { recursive: true, force: true });
    if (fs.existsSync(this.out)) fs.renameSync(this.out, old);
    fs.renameSync(this.dir, this.out);
    fs.rmSync(old, { recursive: true, force: true });
  }
}

const hashedName = (file, hex) => {
  const ext = path.extname(file);
  return `${path.basename(file, ext)}-${hex.slice(0, HASH_HEX)}${ext}`;
};

/** The blobs and the garment pages under content-hashed names; returns the rewritten manifest. */
function placeData(from, stage) {
  const manifest = JSON.parse(fs.readFileSync(path.join(from, 'data/manifest.json'), 'utf8'));
  for (const entry of Object.values(manifest.blobs)) {
    const src = path.join(from, 'data', entry.file);
    const actual = sha256(fs.readFileSync(src));
    if (actual !== entry.sha256) throw new Error(`${rel(src)}: SHA-256 ${actual} differs from manifest.json's ${entry.sha256}`);
    entry.file = hashedName(entry.file, entry.sha256);
    stage.place(src, `${ASSETS}/${entry.file}`);
  }
  // One hash for the folder of pages: the pages depend on the dataset only, so it changes rarely.
  const gdir = path.join(from, 'data', manifest.garments.dir);
  const names = fs.readdirSync(gdir).filter((n) => !n.startsWith('.')).sort();
  const folder = crypto.createHash('sha256');
  for (const n of names) folder.update(`${n}\0${sha256(fs.readFileSync(path.join(gdir, n)))}\n`);
  const dir = `${manifest.garments.dir}-${folder.digest('hex').slice(0, HASH_HEX)}`;
  for (const n of names) stage.place(path.join(gdir, n), `${ASSETS}/${dir}/${n}`);
  manifest.garments.dir = dir;
  return manifest;
}

/** The .wasm files under hashed names: {simd, scalar: {file, bytes, sha256}} (file relative to the site). */
function placeWasm(from, stage) {
  const wasm = {};
  for (const flavour of ['simd', 'scalar']) {
    const src = path.join(from, 'wasm', `wardrobe_${flavour}.wasm`);
    if (!fs.existsSync(src)) throw new Error(`${rel(src)} not found (scripts/build-wasm.sh builds it)`);
    const bytes = fs.readFileSync(src);
    const hex = sha256(bytes);
    const file = `${ASSETS}/${hashedName(path.basename(src), hex)}`;
    stage.place(src, file);
    wasm[flavour] = { file, bytes: bytes.length, sha256: hex };
  }
  return wasm;
}

/** esbuild plugin: replaces build-info.js with this build's facts; serves virtual entry modules. */
function buildPlugin({ buildInfo = null, entries = {} }) {
  return {
    name: 'latent-wardrobe',
    setup(b) {
      if (buildInfo) {
        b.onLoad({ filter: /[\\/]build-info\.js$/ }, () => ({ contents: `export const BUILD = ${JSON.stringify(buildInfo)};`, loader: 'js' }));
      }
      b.onResolve({ filter: /^lw-entry:/ }, (a) => ({ path: a.path.slice('lw-entry:'.length), namespace: 'lw-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'lw-entry' }, (a) => entries[a.path]);
    },
  };
}

const esbuildCommon = (stage) => ({
  bundle: true,
  format: 'esm',
  // One file per module graph, lazy imports included (the scalar loader, the SHA-256 fallback):
  // a chunk shared by them would be one more request before the worker can start.
  splitting: false,
  minify: true,
  target: TARGET,
  outdir: stage.path(ASSETS),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none', // the licences go to assets/third-party-licenses-<h>.txt
  logLevel: 'warning',
  // Node-only paths of wasm/wardrobe.js and of the Emscripten loader (reading the .wasm from
  // disk): never reached in a browser, left as they are.
  external: ['node:*', 'fs', 'path'],
});

/** Output file (relative to the site) of the entry point whose name starts with stem. */
function outputOf(metafile, stage, stem, ext) {
  for (const [out, info] of Object.entries(metafile.outputs)) {
    const base = path.basename(out);
    if (info.entryPoint !== undefined && base.startsWith(`${stem}-`) && base.endsWith(ext)) return path.relative(stage.dir, path.resolve(out)).split(path.sep).join('/');
  }
  throw new Error(`esbuild produced no ${stem}*${ext}`);
}

/** The page (its module scripts and stylesheets, as index.html lists them): one JS and one CSS bundle. */
async function bundlePage(from, stage, scripts, styles, banner) {
  const entries = {
    page: { contents: scripts.map((s) => `import ${JSON.stringify(`./${s}`)};`).join('\n'), resolveDir: from, loader: 'js' },
    style: { contents: styles.map((s) => `@import ${JSON.stringify(`./${s}`)};`).join('\n'), resolveDir: from, loader: 'css' },
  };
  const result = await esbuild.build({
    ...esbuildCommon(stage),
    entryPoints: [{ in: 'lw-entry:page', out: 'page' }, { in: 'lw-entry:style', out: 'style' }],
    banner: { js: banner },
    plugins: [buildPlugin({ entries })],
  });
  return { js: outputOf(result.metafile, stage, 'page', '.js'), css: outputOf(result.metafile, stage, 'style', '.css'), outputs: Object.keys(result.metafile.outputs) };
}

/** The worker with this build's facts baked in (no manifest request before the downloads). */
async function bundleWorker(from, stage, buildInfo, banner) {
  const result = await esbuild.build({
    ...esbuildCommon(stage),
    entryPoints: [path.join(from, 'worker.js')],
    banner: { js: banner },
    plugins: [buildPlugin({ buildInfo })],
  });
  return { js: outputOf(result.metafile, stage, 'worker', '.js'), outputs: Object.keys(result.metafile.outputs) };
}

/** Licence texts of the bundled npm libraries, in one hashed file the bundles name in a comment. */
function placeLicenses(stage) {
  const libs = [
    ['gifenc', 'node_modules/gifenc/LICENSE.md'],
    ['@noble/hashes', 'node_modules/@noble/hashes/LICENSE'],
    ['workbox (service worker)', 'node_modules/workbox-core/LICENSE'],
  ];
  const text = libs.map(([name, file]) => `== ${name}\n\n${fs.readFileSync(path.join(repoRoot, file), 'utf8').trim()}\n`).join('\n');
  const name = `${ASSETS}/${hashedName('third-party-licenses.txt', sha256(text))}`;
  stage.write(name, text);
  return name;
}

/** Icons (committed PNG/SVG, drawn for this project) and the web app manifest, hashed. */
function placeAppManifest(from, stage) {
  const icon = (file, sizes, purpose) => {
    const src = path.join(from, 'icons', file);
    const name = hashedName(file, sha256(fs.readFileSync(src)));
    stage.place(src, `${ASSETS}/${name}`);
    return { src: name, sizes, type: file.endsWith('.svg') ? 'image/svg+xml' : 'image/png', ...(purpose ? { purpose } : {}) };
  };
  const icons = [
    icon('icon-192.png', '192x192'),
    icon('icon-512.png', '512x512'),
    icon('icon-maskable-512.png', '512x512', 'maskable'),
    // No SVG: Chromium's install check would pick it and draw it on the page's main thread during
    // the first load (an SVG document per icon, 12 to 30 ms in traces); the PNGs cover its sizes.
  ];
  const manifest = {
    id: '../',
    name: 'latent wardrobe',
    short_name: 'wardrobe',
    description: 'A variational autoencoder of Fashion-MNIST garments, decoding live in your browser with WebAssembly.',
    start_url: '../',
    scope: '../',
    display: 'standalone',
    background_color: '#0e1016',
    theme_color: '#0e1016',
    icons,
  };
  const text = JSON.stringify(manifest, null, 2);
  const name = `${ASSETS}/${hashedName('app.webmanifest', sha256(text))}`;
  stage.write(name, text);
  return { manifest: name, touchIcon: `${ASSETS}/${icons[0].src}`, favicon: fs.readFileSync(path.join(from, 'icons', 'favicon-32.png')) };
}

// Tags of index.html that the build replaces: local stylesheets, module scripts, module preloads.
const STYLE_TAG = /[ \t]*<link rel="stylesheet" href="([^":]+)">\n?/g;
const MODULE_TAG = /[ \t]*<script type="module" src="([^":]+)"><\/script>\n?/g;
const PRELOAD_TAG = /[ \t]*<link rel="modulepreload" href="[^"]+">\n?/g;
const ICON_TAG = /(<link rel="icon" href=")icons\/favicon-32\.png(")/; // inlined as a data: URL

function readIndexHtml(from) {
  const html = fs.readFileSync(path.join(from, 'index.html'), 'utf8');
  const styles = [...html.matchAll(STYLE_TAG)].map((m) => m[1]);
  const scripts = [...html.matchAll(MODULE_TAG)].map((m) => m[1]);
  if (!scripts.length || !styles.length) throw new Error('index.html lists no module script or no stylesheet');
  if (!html.includes('data-worker="worker.js"')) throw new Error('index.html has no <html data-worker="worker.js">');
  return { html, styles, scripts };
}

/** index.html pointing at the hashed files, with hints for the first garment's downloads. */
function writeIndexHtml(stage, html, refs) {
  const first = html.search(STYLE_TAG);
  let out = html.slice(0, first) + '\u0000' + html.slice(first);
  out = out.replace(STYLE_TAG, '').replace(MODULE_TAG, '').replace(PRELOAD_TAG, '');
  if (!ICON_TAG.test(out)) throw new Error('index.html has no <link rel="icon" href="icons/favicon-32.png">');
  out = out.replace(ICON_TAG, `$1data:image/png;base64,${refs.favicon.toString('base64')}$2`);
  const preload = refs.preloads.length ? ` data-preload="${refs.preloads.join(' ')}"` : '';
  out = out.replace('data-worker="worker.js"', `data-worker="${refs.worker}" data-sw="sw.js" data-build="${refs.version}"${preload}`);
  const head = [
    `<link rel="stylesheet" href="${refs.css}">`,
    `<script type="module" src="${refs.page}"></script>`,
    `<link rel="manifest" href="${refs.manifest}">`,
    `<link rel="apple-touch-icon" href="${refs.touchIcon}">`,
  ].map((t) => `  ${t}\n`).join('');
  out = out.replace('\u0000', head);
  stage.write('index.html', out);
}

/** sw.js: web/service-worker.js bundled with Workbox, and the precache list with SRI hashes. */
async function buildServiceWorker(from, stage, swBuild, precache) {
  const src = stage.path('sw.src.js');
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'web/service-worker.js')],
    bundle: true,
    format: 'iife',
    minify: true,
    target: TARGET,
    outfile: src,
    legalComments: 'none',
    logLevel: 'warning',
    define: { __LW_SW_BUILD__: JSON.stringify(swBuild), 'process.env.NODE_ENV': '"production"' },
    banner: { js: swBuild.banner },
  });
  const withIntegrity = async (entries) => ({
    manifest: entries.map((e) => ({ ...e, integrity: `sha256-${sha256(fs.readFileSync(stage.path(e.url)), 'base64')}` })),
    warnings: [],
  });
  const { count, size, warnings } = await injectManifest({
    swSrc: src,
    swDest: stage.path('sw.js'),
    globDirectory: stage.dir,
    globPatterns: precache,
    globIgnores: ['**/*.br', '**/*.gz', 'sw.src.js'],
    // Every file under assets/ names its content: no revision parameter needed.
    dontCacheBustURLsMatching: new RegExp(`^${ASSETS}/`),
    maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
    manifestTransforms: [withIntegrity],
  });
  for (const w of warnings) console.warn(`build-web: service worker: ${w}`);
  fs.rmSync(src);
  return { count, size };
}

/** dist/_headers (Netlify, Cloudflare Pages): the cache policy of scripts/serve.mjs. */
function writeHeaders(stage) {
  stage.write('_headers', `# Cache policy (the same as scripts/serve.mjs, which \`npm start\` runs):
# files under /${ASSETS}/ are named by their content and never change; index.html and the service
# worker are revalidated on every visit, so a new build is found at once.
# (.wasm files need Content-Type: application/wasm; both hosts send it by default.)
/${ASSETS}/*
  Cache-Control: public, max-age=31536000, immutable
  X-Content-Type-Options: nosniff
/
  Cache-Control: no-cache
/index.html
  Cache-Control: no-cache
/sw.js
  Cache-Control: no-cache
`);
}

// Not the .lwb blobs: f16/f32 weights and posteriors shrink by 5-11% only, and decoding 1 MB of
// brotli on the first garment's path (twice, when the preload and the worker both read the HTTP
// cache) cost more time than the 120 kB saved (measured: npm run bench:page, cold 1.58 s raw vs
// 2.20 s brotli on a loaded machine). Garment pages (grey pixels) shrink to about half: gzip.
const COMPRESSIBLE = /\.(html|js|css|json|webmanifest|svg|txt|wasm|bin)$/;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Writes name.br and name.gz beside each compressible file when they save at least 5%: brotli at
 * quality 11 for files up to 1.2 MB (the first view's scripts and wasm), 5 above (and with --fast);
 * garment pages (many, loaded on demand) gzip only. Copies reused from the old site stay.
 */
async function precompress(stage, fast) {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (COMPRESSIBLE.test(e.name) && !e.name.startsWith('_')) files.push(p);
    }
  };
  walk(stage.dir);
  const jobs = files.map((file) => async () => {
    const bytes = fs.readFileSync(file);
    const worth = (c) => c.length <= bytes.length * 0.95;
    const page = file.endsWith('.bin');
    if (!fs.existsSync(`${file}.gz`)) {
      const gz = await gzip(bytes, { level: page ? 6 : 9 });
      if (worth(gz)) fs.writeFileSync(`${file}.gz`, gz);
    }
    if (!page && !fs.existsSync(`${file}.br`)) {
      const quality = fast || bytes.length > 1.2e6 ? 5 : 11;
      const br = await brotli(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
      if (worth(br)) fs.writeFileSync(`${file}.br`, br);
    }
  });
  // A few at a time: zlib's async calls run on libuv's thread pool.
  for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const stage = new Stage(opts.out);
  const { html, styles, scripts } = readIndexHtml(opts.from);
  const manifest = placeData(opts.from, stage);
  const wasm = placeWasm(opts.from, stage);
  const licenses = placeLicenses(stage);
  const banner = `/*! latent-wardrobe (MIT). Bundled libraries and their licences: ${path.basename(licenses)} */`;
  const version = sha256(JSON.stringify({ manifest, wasm })).slice(0, 12);
  const buildInfo = { siteRoot: '../', manifest, dataDir: `${ASSETS}/`, wasm, hashedUrls: true, version };
  const worker = await bundleWorker(opts.from, stage, buildInfo, banner);
  const page = await bundlePage(opts.from, stage, scripts, styles, banner);
  const app = placeAppManifest(opts.from, stage);
  const decoder = `${ASSETS}/${manifest.blobs.decoder.file}`;
  writeIndexHtml(stage, html, {
    worker: worker.js, page: page.js, css: page.css, manifest: app.manifest, touchIcon: app.touchIcon, favicon: app.favicon,
    version: sha256(worker.js + page.js + page.css).slice(0, 12), preloads: [wasm.simd.file, decoder],
  });
  writeHeaders(stage);
  // Precached: what the page needs to open and draw; cached on first use: the rest of assets/.
  const precache = ['index.html', page.js, page.css, worker.js, wasm.simd.file, decoder, app.manifest, `${ASSETS}/icon-*.{png,svg}`];
  const inSite = (p) => path.relative(stage.dir, path.resolve(p)).split(path.sep).join('/');
  const runtime = [
    ...Object.values(manifest.blobs).map((b) => `${ASSETS}/${b.file}`),
    wasm.scalar.file, licenses,
    ...[...worker.outputs, ...page.outputs].map(inSite).filter((f) => f.endsWith('.js')),
  ].filter((f) => !precache.includes(f));
  await precompress(stage, opts.fast);
  const sw = await buildServiceWorker(opts.from, stage, { runtime, garmentsDir: `${ASSETS}/${manifest.garments.dir}/`, version, banner }, precache);
  await precompress(stage, opts.fast); // sw.js
  stage.swap();
  console.log(`build-web: ${rel(opts.out)}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${page.js}, ${worker.js}, ${page.css}; service worker precaches ${sw.count} files (${(sw.size / 1e6).toFixed(2)} MB)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`build-web: error: ${e.message}`);
    process.exit(1);
  });
}

