// The page's side of the service worker (web/service-worker.js), in the production build only:
// there index.html carries data-sw="sw.js"; the development tree has no service worker.
//
// Registered once the first garment is on screen and the browser is idle, never before. A new
// build (new code or new blob hashes) is found when a returning visitor opens the page: the old
// service worker keeps serving the old build, complete, while the new one installs beside it; then
// a note says "A new version is ready" with a Reload button. Reload tells the waiting service worker
// to take over and reloads the page once it controls it, so one page never mixes files of two
// builds. A browser without service workers simply runs the page as before (blobs.js caches blobs).

const UPDATE_CHECK_MS = 60 * 60 * 1000; // a tab left open still hears about new builds

let registered = false;
let reloading = false;

/** True when a service worker controls this page (it then caches the files, see blobs.js). */
export function serviceWorkerControls() {
  return Boolean(typeof navigator === 'object' && navigator.serviceWorker && navigator.serviceWorker.controller);
}

/** Registers the service worker named by <html data-sw> when idle; messages.note shows the update note. */
export function registerServiceWorker(messages) {
  const url = document.documentElement.dataset.sw;
  if (registered || !url || !('serviceWorker' in navigator)) return;
  registered = true;
  const whenIdle = window.requestIdleCallback || ((f) => setTimeout(f, 100));
  whenIdle(() => {
    navigator.serviceWorker
      .register(url, { scope: './' })
      .then((registration) => watch(registration, messages))
      .catch(async (e) => {
        // Offline, registering again fails (sw.js cannot be fetched) while the installed one runs on.
        const installed = await navigator.serviceWorker.getRegistration().catch(() => null);
        if (installed && installed.active) return watch(installed, messages);
        // No offline copy, nothing else lost: the page works as it does without a service worker.
        document.documentElement.dataset.swState = 'failed';
        console.warn(`latent-wardrobe: the service worker could not be registered (${e.message}); the page works without offline support.`);
      });
  }, { timeout: 2000 });
}

function watch(registration, messages) {
  document.documentElement.dataset.swState = 'registered';
  navigator.serviceWorker.ready.then(() => (document.documentElement.dataset.swState = 'ready'));
  // A new build is announced only to a page that an older service worker controls: on the very
  // first visit the new service worker simply starts controlling this (same-build) page.
  const announce = () => {
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration, messages);
  };
  announce();
  registration.addEventListener('updatefound', () => {
    const incoming = registration.installing;
    if (incoming) incoming.addEventListener('statechange', () => incoming.state === 'installed' && announce());
  });
  setInterval(() => registration.update().catch(() => {}), UPDATE_CHECK_MS);
}

function offerUpdate(registration, messages) {
  document.body.dataset.update = 'ready';
  messages.note('A new version of latent wardrobe is ready: reload to use it.', {
    label: 'Reload',
    run: () => {
      navigator.serviceWorker.addEventListener('controllerchange', () => {
        if (reloading) return;
        reloading = true;
        location.reload();
      });
      if (registration.waiting) registration.waiting.postMessage({ type: 'SKIP_WAITING' });
      else location.reload(); // another tab already switched to the new version
    },
  });
}
