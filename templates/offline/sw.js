/* Fieldwork's service worker (served at /sw.js so that its scope is the whole app).
 *
 * - The app shell (CSS, JS, icons, the offline page) is cached at install, by version: cache first.
 * - Pages: network first. A page the server marks with X-Fieldwork-Offline: <user> (the member's worklist and the
 *   households assigned to them) is kept in that user's cache; offline, it is served from there, marked so that the
 *   page shows "offline — last updated at ...". Nothing else is kept, and another user's pages are dropped.
 * - The visit queue itself lives in IndexedDB (offline-queue.js); pages send it, and Background Sync, where the
 *   browser has it, sends it too. Sending is never left to Background Sync alone.
 */
'use strict';
var VERSION = {{ version|tojson }};
var SHELL = 'fw-shell-' + VERSION;
var PAGES = 'fw-pages-u';
var PRECACHE = {{ precache|tojson }};
var OFFLINE_URL = {{ offline_url|tojson }};
var SAVED_AT = 'X-Fieldwork-Saved-At';
var REFRESH_AFTER = 30 * 60 * 1000;  // a page kept (or opened) in the last 30 minutes is not checked again in the background
var SLOW = 10000;                   // a kept page is shown after 10 s without an answer (the fetch goes on)
importScripts({{ queue_js|tojson }});
var Q = self.FieldworkQueue;

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(PRECACHE); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('fw-shell-') === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.indexOf('/static/') === 0) return e.respondWith(shellFirst(req));
  if (req.mode === 'navigate' || req.headers.get('HX-Boosted')) e.respondWith(page(req));
});

self.addEventListener('message', function (e) {
  var d = e.data || {};
  if (d.type === 'refresh') {
    e.waitUntil(refresh(d.user, d.urls || []).then(function (n) {
      if (e.source) e.source.postMessage({type: 'refreshed', count: n});
    }));
  }
});

self.addEventListener('sync', function (e) {
  if (e.tag !== 'fieldwork-visits') return;
  e.waitUntil(Q.flush({}).then(function (r) { if (r && r.error === 'offline') throw new Error('retry later'); }));
});

async function shellFirst(req) {
  var hit = await caches.match(req);
  if (hit) return hit;
  var res = await fetch(req);
  if (res.ok && new URL(req.url).searchParams.get('v')) (await caches.open(SHELL)).put(req, res.clone());
  return res;
}

function key(url) { var u = new URL(url, location.origin); u.hash = ''; return u.href; }

async function kept(url) {
  var user = await Q.getMeta('user');
  return user ? (await caches.open(PAGES + user)).match(key(url), {ignoreVary: true}) : undefined;
}

async function page(req) {
  var network = fetch(req).then(function (res) { return keep(req.url, res.clone()).then(function () { return res; }); });
  network.catch(function () {});  // when the kept copy is shown first, a late failure is nobody's business
  var copy = await kept(req.url).catch(function () { return undefined; });
  try {
    if (!copy) return await network;
    return await Promise.race([network, new Promise(function (ok) { setTimeout(ok, SLOW, null); })]) ||
      marked(copy);
  } catch (err) {
    if (copy) return marked(copy);
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

/* A kept page, with the moment it was kept, for the page's script to say "offline — last updated at ...". */
async function marked(res) {
  var html = await res.text();
  html = html.replace('id="offline-status"', 'id="offline-status" data-cached-at="' + res.headers.get(SAVED_AT) + '"');
  return new Response(html, {status: 200, headers: res.headers});
}

/* Keep a page the server marked for offline use, under its owner; forget a page that no longer is. */
async function keep(url, res) {
  var owner = res.headers.get('X-Fieldwork-Offline');
  if (!owner) {
    if (res.status === 200 || res.status === 403 || res.status === 404) {
      var user = await Q.getMeta('user');
      if (user) await (await caches.open(PAGES + user)).delete(key(url));
    }
    return;
  }
  await Q.setUser(Number(owner));
  var headers = new Headers(res.headers);
  headers.delete('Content-Encoding');
  headers.delete('Content-Length');
  headers.set(SAVED_AT, String(Date.now()));
  // A confirmation shown once ("Đã ghi nhận: ...") is not part of the page to show again offline.
  var body = (await res.text()).replace(/<p class="flash flash-[a-z]+" role="status">[^<]*<\/p>\s*/g, '');
  await (await caches.open(PAGES + owner)).put(key(url), new Response(body, {status: 200, headers: headers}));
}

/* Fetch the worklist's pages again (a 304 when unchanged) and drop the households that left it. */
async function refresh(user, urls) {
  if (!user || (await Q.getMeta('user')) !== Number(user)) return 0;
  var cache = await caches.open(PAGES + user), wanted = {}, done = 0;
  urls.forEach(function (u) { wanted[key(u)] = true; });
  (await cache.keys()).forEach(function (r) { if (!wanted[r.url]) cache.delete(r); });
  var todo = Object.keys(wanted);
  async function worker() {
    for (var url = todo.shift(); url; url = todo.shift()) {
      if ((await Q.getMeta('user')) !== Number(user)) return;  // signed out meanwhile: keep nothing more
      if (await refreshOne(cache, url)) done++;
    }
  }
  await Promise.all([worker(), worker(), worker()]);
  return done;
}

async function refreshOne(cache, url) {
  var old = await cache.match(url, {ignoreVary: true});
  if (old && Date.now() - Number(old.headers.get(SAVED_AT)) < REFRESH_AFTER) return true;
  var headers = {'X-Fieldwork-Prefetch': '1'};
  if (old && old.headers.get('ETag')) headers['If-None-Match'] = old.headers.get('ETag');
  try {
    var res = await fetch(url, {headers: headers, credentials: 'same-origin', redirect: 'manual'});
    if (res.status === 304 && old) {
      var h = new Headers(old.headers);
      h.set(SAVED_AT, String(Date.now()));
      await cache.put(url, new Response(await old.blob(), {status: 200, headers: h}));
      return true;
    }
    await keep(url, res);
    return res.headers.has('X-Fieldwork-Offline');
  } catch (err) {
    return !!old;
  }
}
