// The service worker of the production build: scripts/build-web.mjs bundles this file with Workbox
// (npm, MIT) into sw.js and injects the precache list (self.__WB_MANIFEST: this build's files with
// their SHA-256 as SRI integrity). The development tree never registers it (web/sw-client.js).
//
//   precached at install: index.html, the page and worker bundles, the stylesheet, the SIMD .wasm,
//     the decoder blob, the app manifest and icons: the page opens and draws offline;
//   cached on first use (cache first; every URL under assets/ names its content): the index, the
//     encoder, the garment pages, the scalar .wasm and lazily loaded chunks;
//   updates: a new build's sw.js installs beside the running one with its own precache and waits;
//     the page shows "a new version is ready" and sends SKIP_WAITING when the person reloads
//     (sw-client.js). The old build is served whole until then: files of two builds never mix.
//   integrity: a precached script, stylesheet or page whose bytes do not match the build's SHA-256
//     is not used; it is fetched again (checked by the browser against the same SRI hash) and
//     replaces the bad copy. The .wasm and the blobs are checked by the page's worker (blobs.js).
import { precacheAndRoute, cleanupOutdatedCaches, addPlugins } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst } from 'workbox-strategies';
import { ExpirationPlugin } from 'workbox-expiration';
import { clientsClaim } from 'workbox-core';

// {runtime: [paths of this build's files cached on first use], garmentsDir, version}, defined by
// scripts/build-web.mjs when it bundles this file.
const BUILD = __LW_SW_BUILD__; // eslint-disable-line no-undef
const PRECACHE = self.__WB_MANIFEST;
const RUNTIME_CACHE = 'lw-runtime';
const GARMENTS_CACHE = 'lw-garments';
const MAX_GARMENT_PAGES = 400; // of 1,094 pages of 64 garments (~50 kB each): ~20 MB at most

const here = (p) => new URL(p, self.location.href).href;
const assetsPrefix = here('assets/');
const garmentsPrefix = here(BUILD.garmentsDir);
// Files the worker checks itself against the manifest's SHA-256 (blobs.js): not hashed twice here.
const CHECKED_BY_PAGE = /\.(wasm|lwb)$/;

const integrityOf = new Map();
for (const entry of PRECACHE) {
  const url = new URL(entry.url, self.location.href);
  if (entry.integrity) integrityOf.set(url.origin + url.pathname, entry.integrity);
}

function base64(buffer) {
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s);
}

// A precached copy is used only if its bytes are the build's: returning null makes Workbox fetch
// the file again (with its SRI integrity) and repair the precache.
addPlugins([
  {
    async cachedResponseWillBeUsed({ request, cachedResponse }) {
      if (!cachedResponse) return cachedResponse;
      const url = new URL(request.url);
      const integrity = integrityOf.get(url.origin + url.pathname);
      if (!integrity || CHECKED_BY_PAGE.test(url.pathname)) return cachedResponse;
      const digest = await crypto.subtle.digest('SHA-256', await cachedResponse.clone().arrayBuffer());
      return `sha256-${base64(digest)}` === integrity ? cachedResponse : null;
    },
  },
]);

// "/" and "/?scalar=1" are index.html: query parameters are the page's, not file versions.
precacheAndRoute(PRECACHE, { directoryIndex: 'index.html', ignoreURLParametersMatching: [/.*/], cleanURLs: false });
cleanupOutdatedCaches();

registerRoute(
  ({ url, request }) => request.method === 'GET' && url.href.startsWith(garmentsPrefix),
  new CacheFirst({
    cacheName: GARMENTS_CACHE,
    plugins: [new ExpirationPlugin({ maxEntries: MAX_GARMENT_PAGES, purgeOnQuotaError: true })],
  }),
);
registerRoute(
  ({ url, request }) => request.method === 'GET' && url.href.startsWith(assetsPrefix),
  new CacheFirst({ cacheName: RUNTIME_CACHE }),
);

// The first install takes the page that registered it (same build); later ones wait for the
// person's Reload (sw-client.js).
clientsClaim();
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// Files of older builds cached on first use are dropped once this build is active.
self.addEventListener('activate', (event) => {
  event.waitUntil(pruneRuntimeCaches());
});

async function pruneRuntimeCaches() {
  const keep = new Set(BUILD.runtime.map(here));
  const runtime = await caches.open(RUNTIME_CACHE);
  for (const request of await runtime.keys()) if (!keep.has(request.url)) await runtime.delete(request);
  const garments = await caches.open(GARMENTS_CACHE);
  for (const request of await garments.keys()) if (!request.url.startsWith(garmentsPrefix)) await garments.delete(request);
}
