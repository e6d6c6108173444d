/*
 * SplitFace's service worker: keeps the app usable with no network after
 * one visit (a clinic laptop on a locked-down network, a train).
 *
 * At install it stores every file of the build listed in
 * precache-manifest.json (written by the build, see vite.config.ts): the
 * page, its scripts and styles, the WebAssembly (onnxruntime-web, ffmpeg.wasm)
 * and the face-detection models. The install fails, and the page does not
 * claim to be ready for offline use, unless every one of them was stored.
 * Requests are then answered from that cache first (the responses keep the
 * headers they were served with: cross-origin isolation and the CSP), then
 * from the network; a same-origin file that was not listed is stored the
 * first time it is fetched. A new build has a new version: its worker
 * stores the new files and drops the old cache when it takes over.
 *
 * The user's OpenFace model folder is not here: the app keeps it in
 * IndexedDB. Nothing is ever fetched from another origin.
 */
const PREFIX = 'splitface-';
const MANIFEST = 'precache-manifest.json';

async function readManifest() {
  const response = await fetch(MANIFEST, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${MANIFEST}: HTTP ${response.status}`);
  return response.json();
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const manifest = await readManifest();
      const cache = await caches.open(PREFIX + manifest.version);
      // one by one with the default fetch cache mode off: a half-stored app would not work offline
      for (const file of manifest.files) {
        const response = await fetch(file, { cache: 'no-store' });
        if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
        await cache.put(file, response);
      }
      await cache.put('__version', new Response(manifest.version));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const current = await currentCacheName();
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== current) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

/** The newest complete cache (the one that holds its __version entry). */
async function currentCacheName() {
  const names = (await caches.keys()).filter((n) => n.startsWith(PREFIX));
  for (const name of names.reverse()) {
    const cache = await caches.open(name);
    if (await cache.match('__version')) return name;
  }
  return null;
}

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'offline-status') return;
  event.waitUntil(
    (async () => {
      const name = await currentCacheName();
      const version = name ? await (await (await caches.open(name)).match('__version')).text() : null;
      event.source?.postMessage({ type: 'offline-status', ready: name !== null, version });
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.endsWith('/' + MANIFEST) || url.pathname.endsWith('/sw.js')) return;
  event.respondWith(
    (async () => {
      const name = await currentCacheName();
      const cache = name ? await caches.open(name) : null;
      // ignoreVary: the server varies on Origin, which module scripts send and the install's fetches did not
      // a page (the app's only page is index.html) comes from the cache by its path
      const key = request.mode === 'navigate' && (url.pathname === '/' || url.pathname.endsWith('/')) ? new URL('index.html', url).href : request;
      const cached = cache ? await cache.match(key, { ignoreSearch: true, ignoreVary: true }) : undefined;
      if (cached) return cached;
      const response = await fetch(request);
      if (cache && response.status === 200 && response.type === 'basic') await cache.put(request, response.clone());
      return response;
    })(),
  );
});
