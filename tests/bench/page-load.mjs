// Page-load benchmark (part of `npm run bench`; alone: node tests/bench/page-load.mjs). Not a test:
// it prints figures and writes them to bench-results/page-load-<timestamp>.json; it asserts nothing.
//
// Protocol (issue 12):
//   - the production build (build/site/) served by scripts/serve.mjs, the server `npm start` runs,
//     in this process, on a free port of 127.0.0.1 (URLs say localhost: a secure context);
//   - Debian's Chromium (/usr/bin/chromium) through playwright-core: headless, --no-sandbox,
//     --disable-gpu, a fresh profile (--user-data-dir) per run;
//   - time = from navigation start (performance.timeOrigin) to the first animation frame on which
//     the preview canvas (#preview) holds drawn pixels (any non-zero alpha), found by a probe that
//     checks the canvas on every frame from document start (the same probe on both pages) and
//     reports on the console: the bench evaluates nothing in the page before that (firstPixels);
//   - the browser finishes starting before the navigation (--settle-ms, default 2000: a fresh
//     headless Chromium loads its own omnibox WebUI for about a second after launch, which on 2
//     cores slowed both pages and doubled the spread; --settle-ms 0 measures that too);
//   - cold = the first navigation of the fresh profile (empty caches); reload = page.reload() in
//     the same tab once the first visit has settled (index loaded, service worker active, 1 s idle);
//   - reference: a static page (one canvas filled by an inline script) from the same server, in
//     the same browser build, measured the same way in the same run, interleaved run by run;
//   - the median of --runs (default 5) of each; ratios are page median / static median;
//   - bytes: response bytes as sent by the server (compressed where precompressed), for requests
//     that arrived before the first garment was on screen ("first view"), and in all of the cold
//     visit once settled.
//
//   - --markup adds a second reference: this site's own index.html with every script taken out and
//     the static page's canvas fill put at the end of its body (served at /__bench-markup.html, so
//     its stylesheet, icons and manifest load as the page's do; no service worker). It is what the
//     page's markup and style cost before any of its JavaScript, worker or wasm runs: a floor for
//     the page's figure on this machine.
//
// Options: --runs N, --settle-ms MS, --root DIR (a built site), --legacy DIR (serve DIR with sirv the way the old
// `npm start` did: --etag --maxage 0, no precompression; for before/after figures), --label TEXT,
// --no-sw (a browser that blocks service workers: the reload then comes from the HTTP cache),
// --markup (the reference above).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import http from 'node:http';
import sirv from 'sirv';
import { launch, settleVisit } from '../browser/browser.mjs';
import { startSiteServer, siteRoot, repoRoot } from '../../scripts/serve.mjs';
import { summary } from './stats.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 5));
const LEGACY = opt('legacy', null);
const ROOT = path.resolve(LEGACY || opt('root', siteRoot));
const NO_SW = args.includes('--no-sw');
const SETTLE_MS = Number(opt('settle-ms', 2000));
const LABEL = opt('label', LEGACY ? 'legacy' : NO_SW ? 'site-no-sw' : 'site');
const STATIC_PATH = '/__bench/static.html';
const MARKUP = args.includes('--markup');
const MARKUP_PATH = '/__bench-markup.html';

const STATIC_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>static reference</title></head>
<body><canvas id="preview" width="28" height="28"></canvas>
<script>
  const ctx = document.getElementById('preview').getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < img.data.length; i += 4) img.data.set([i % 251, 90, 160, 255], i);
  ctx.putImageData(img, 0, 0);
</script></body></html>`;

// Runs in every document from its start: records the first frame whose #preview has pixels, and
// says so on the console (see firstPixels).
function probe() {
  const state = (window.__probe = { t: null });
  const check = () => {
    const c = document.getElementById('preview');
    if (c && c.width > 0) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) {
        if (d[i] !== 0) {
          state.t = performance.now();
          console.debug(`lw-probe ${state.t} ${performance.timeOrigin}`);
          return;
        }
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

// The site's index.html without its scripts (inline, module, module preloads), the static page's
// canvas fill at the end of its body: see --markup.
function markupPage(root) {
  const html = fs.readFileSync(path.join(root, 'index.html'), 'utf8')
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '')
    .replace(/<link rel="modulepreload"[^>]*>/g, '');
  const fill = STATIC_PAGE.slice(STATIC_PAGE.indexOf('<script>'), STATIC_PAGE.indexOf('</script>') + '</script>'.length);
  if (!html.includes('id="preview"') || !html.includes('</body>')) throw new Error(`${root}/index.html has no #preview canvas or no </body>`);
  return html.replace('</body>', `${fill}\n</body>`);
}

const requests = [];
function serveStatic(req, res) {
  const pathname = req.url.split('?')[0];
  const body = pathname === STATIC_PATH ? STATIC_PAGE : MARKUP && pathname === MARKUP_PATH ? markupPage(ROOT) : null;
  if (body === null) return false;
  // Sent the way index.html is: revalidated on every visit (a 304 on reload).
  const headers = { 'Content-Type': 'text/html;charset=utf-8', 'Cache-Control': 'no-cache', ETag: `"${pathname === STATIC_PATH ? 'static' : 'markup'}-1"` };
  if (req.headers['if-none-match'] === headers.ETag) {
    res.writeHead(304, headers);
    res.end();
  } else {
    res.writeHead(200, headers);
    res.end(body);
  }
  return true;
}

async function startLegacy(root) {
  // What scripts/start.sh ran before issue 12: sirv-cli build/web --etag --maxage 0.
  const handler = sirv(root, { etag: true, maxAge: 0, dev: false });
  const server = http.createServer((req, res) => {
    countRequest(req, res);
    if (serveStatic(req, res)) return;
    handler(req, res, () => { res.statusCode = 404; res.end('not found'); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

function countRequest(req, res) {
  const entry = { t: Date.now(), path: req.url.split('?')[0], bytes: 0 };
  requests.push(entry);
  const write = res.write.bind(res), end = res.end.bind(res);
  const count = (c) => { if (c && typeof c !== 'function') entry.bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length; };
  res.write = (c, ...r) => (count(c), write(c, ...r));
  res.end = (c, ...r) => (count(c), end(c, ...r));
}

// Navigates (navigate() = page.goto or page.reload) and returns {t, origin} of the probe's first
// frame with pixels. The bench listens for the probe's console message rather than asking the page
// (page.waitForFunction): to ask, Playwright evaluates its own script in the page, 20 to 30 ms of
// the page's main thread in the middle of the load once the load event has fired (seen in a
// Chromium trace of a cold load, with the first garment waiting on it), which no visitor's browser
// runs. Nothing is evaluated in the page until the probe has reported.
function firstPixels(page, navigate) {
  let onConsole, timer;
  const reported = new Promise((resolve, reject) => {
    onConsole = (m) => {
      const match = /^lw-probe (\S+) (\S+)$/.exec(m.text());
      if (match) resolve({ t: Number(match[1]), origin: Number(match[2]) });
    };
    page.on('console', onConsole);
    timer = setTimeout(async () => {
      const state = await page.evaluate(() => ({ probe: window.__probe, decoder: document.body?.dataset.decoder, url: location.href })).catch((x) => x.message);
      reject(new Error(`no garment on screen within 60 s: ${JSON.stringify(state)}`));
    }, 60000);
  });
  return Promise.all([reported, navigate()]).then(([r]) => r).finally(() => {
    clearTimeout(timer);
    page.off('console', onConsole);
  });
}

// Where the first garment's time went (the page's own marks, window.__lwPerf), in ms since
// navigation start; worker phases converted from the worker's clock.
function breakdown(page) {
  return page.evaluate(() => {
    const p = window.__lwPerf;
    if (!p || !p.boot.worker) return null;
    const w = p.boot.worker;
    const worker = { created: Math.round(w.origin - performance.timeOrigin) };
    for (const [k, v] of Object.entries(w)) if (k !== 'origin') worker[k] = Math.round(v + w.origin - performance.timeOrigin);
    const nav = performance.getEntriesByType('navigation')[0];
    // The page's own requests: when each was asked for and answered (the worker's are in its own timeline).
    const resources = performance.getEntriesByType('resource').filter((e) => e.startTime < p.firstGarment)
      .map((e) => `${new URL(e.name).pathname.replace(/^\/assets\//, '').replace(/-\w+(\.\w+)$/, '$1')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`);
    return { firstGarment: Math.round(p.firstGarment), htmlEnd: nav && Math.round(nav.responseEnd), inlineScript: window.__lwEarly && Math.round(window.__lwEarly.t), appStart: Math.round(p.boot.appStart), initDone: Math.round(p.boot.initDone), worker, resources };
  });
}

async function measure(url, { app }) {
  const b = await launch(NO_SW ? { serviceWorkers: 'block' } : {});
  try {
    await b.context.addInitScript(probe);
    const page = await b.context.newPage();
    // The browser finishes starting before the navigation: a fresh headless Chromium loads its own
    // pages (the omnibox popup's WebUI) for about a second after launch, on the same 2 cores.
    if (SETTLE_MS > 0) await page.waitForTimeout(SETTLE_MS);
    const from = requests.length;
    const cold = await firstPixels(page, () => page.goto(url));
    const shownAt = cold.origin + cold.t;
    let perf = null;
    if (app) {
      await settleVisit(page, requests, { serviceWorkers: !NO_SW });
      perf = await breakdown(page);
    }
    const coldRequests = requests.slice(from);
    const bytes = {
      firstView: coldRequests.filter((r) => r.t <= shownAt).reduce((s, r) => s + r.bytes, 0),
      total: coldRequests.reduce((s, r) => s + r.bytes, 0),
      requestsFirstView: coldRequests.filter((r) => r.t <= shownAt).length,
    };
    const fromReload = requests.length;
    const reload = await firstPixels(page, () => page.reload());
    let reloadPerf = null;
    if (app) {
      await page.waitForSelector('body[data-index="ready"]', { timeout: 60000 }).catch(() => {});
      reloadPerf = await breakdown(page);
    }
    const reloadBytes = requests.slice(fromReload).reduce((s, r) => s + r.bytes, 0);
    return { cold: cold.t, reload: reload.t, bytes, reloadBytes, perf: { cold: perf, reload: reloadPerf } };
  } finally {
    await b.close();
  }
}

const sec = (ms) => `${(ms / 1000).toFixed(3)} s`;
const mb = (b) => `${(b / 1e6).toFixed(3)} MB`;

function wasmSizes(root) {
  const out = {};
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.wasm')) {
        const bytes = fs.readFileSync(p);
        out[path.relative(root, p)] = { bytes: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
      }
    }
  };
  walk(root);
  return out;
}

async function main() {
  const server = LEGACY
    ? await startLegacy(ROOT)
    : await startSiteServer({ root: ROOT, intercept: serveStatic, onRequest: (e) => requests.push(e) });
  const results = { app: [], static: [], markup: [] };
  let chromium = '';
  try {
    for (let r = 0; r < RUNS; r++) {
      const app = await measure(server.url, { app: true });
      const stat = await measure(server.url.replace(/\/$/, STATIC_PATH), { app: false });
      const markup = MARKUP ? await measure(server.url.replace(/\/$/, MARKUP_PATH), { app: false }) : null;
      results.app.push(app);
      results.static.push(stat);
      if (markup) results.markup.push(markup);
      const markupText = markup ? `; markup cold ${sec(markup.cold)}, reload ${sec(markup.reload)}` : '';
      console.log(`run ${r + 1}/${RUNS}: page cold ${sec(app.cold)}, reload ${sec(app.reload)}; static cold ${sec(stat.cold)}, reload ${sec(stat.reload)}${markupText}; first view ${mb(app.bytes.firstView)} in ${app.bytes.requestsFirstView} requests`);
    }
    const b = await launch();
    chromium = b.context.browser()?.version() || '';
    await b.close();
  } finally {
    await server.close();
  }
  const pick = (list, f) => list.map(f);
  const out = {
    label: LABEL,
    root: path.relative(repoRoot, ROOT) || ROOT,
    date: new Date().toISOString(),
    protocol: `navigation start (performance.timeOrigin) to the first frame whose #preview canvas has pixels, reported by the page's probe on the console (nothing evaluated in the page before it); fresh Chromium profile per run, navigated ${SETTLE_MS} ms after launch; cold = first visit, reload = page.reload() after the visit settled; median of runs`,
    settleMs: SETTLE_MS,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
    chromium,
    runs: RUNS,
    page: { cold: summary(pick(results.app, (x) => x.cold)), reload: summary(pick(results.app, (x) => x.reload)) },
    static: { cold: summary(pick(results.static, (x) => x.cold)), reload: summary(pick(results.static, (x) => x.reload)) },
    ...(MARKUP ? { markup: { cold: summary(pick(results.markup, (x) => x.cold)), reload: summary(pick(results.markup, (x) => x.reload)) } } : {}),
    bytes: {
      firstView: summary(pick(results.app, (x) => x.bytes.firstView)),
      coldTotal: summary(pick(results.app, (x) => x.bytes.total)),
      reload: summary(pick(results.app, (x) => x.reloadBytes)),
    },
    wasm: wasmSizes(ROOT),
    breakdown: results.app.map((x) => x.perf),
  };
  out.ratios = { cold: out.page.cold.median / out.static.cold.median, reload: out.page.reload.median / out.static.reload.median };
  console.log(`\nfirst garment on screen (${LABEL}, ${RUNS} runs, median [min-max]):`);
  const row = (name, s) => `  ${name.padEnd(22)} ${sec(s.median)} [${sec(s.min)}-${sec(s.max)}]`;
  console.log(row('page cold', out.page.cold), `  = ${out.ratios.cold.toFixed(2)}x static`);
  console.log(row('page reload', out.page.reload), `  = ${out.ratios.reload.toFixed(2)}x static`);
  console.log(row('static cold', out.static.cold));
  console.log(row('static reload', out.static.reload));
  if (MARKUP) {
    out.ratios.markup = { cold: out.page.cold.median / out.markup.cold.median, reload: out.page.reload.median / out.markup.reload.median };
    console.log(row('markup cold', out.markup.cold), `  = ${(out.markup.cold.median / out.static.cold.median).toFixed(2)}x static; page = ${out.ratios.markup.cold.toFixed(2)}x markup`);
    console.log(row('markup reload', out.markup.reload), `  = ${(out.markup.reload.median / out.static.reload.median).toFixed(2)}x static; page = ${out.ratios.markup.reload.toFixed(2)}x markup`);
  }
  for (const kind of ['cold', 'reload']) {
    for (const b of out.breakdown.map((x) => x && x[kind])) {
      if (b) console.log(`  ${kind}: html ${b.htmlEnd}, worker made ${b.inlineScript}, [${b.resources.join(', ')}], page module ${b.appStart}, worker ${JSON.stringify(b.worker)}, init answered ${b.initDone}, on screen ${b.firstGarment} (ms)`);
    }
  }
  console.log(`  first view ${mb(out.bytes.firstView.median)}, cold visit total ${mb(out.bytes.coldTotal.median)}, reload ${mb(out.bytes.reload.median)}`);
  for (const [f, s] of Object.entries(out.wasm)) console.log(`  ${f}: ${(s.bytes / 1024).toFixed(0)} KB, ${(s.gzip / 1024).toFixed(0)} KB gzip`);
  const dir = path.join(repoRoot, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `page-load-${LABEL}-${out.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(file);
}

await main();
