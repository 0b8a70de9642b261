// Patuh's service worker (served at /sw.js, scope /): the inspector's pages work offline after
// one online visit. Workbox does the routing and caching; its modules are vendored in
// /static/vendor/workbox-sw/ and never come from a CDN.
//
// What is kept on the phone: the static assets, and the pages an inspector needs (home, the
// case list, each case page with its visit and follow-up forms) as last seen online — the
// same HTML the server sent, so NIKs stay masked as online. Nothing is cached for any other
// path. The page script wipes these caches at logout and when another user logs in.
/* global importScripts, workbox */
"use strict";
importScripts("/static/vendor/workbox-sw/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox-sw/", debug: false });

var PAGES = "patuh-pages-v1";
var ASSETS = "patuh-assets-v1";

// The inspector's pages: network first (fresh when online), the cached copy when not.
var inspectorPage = /^\/(cases(\/\d+)?)?$/;
workbox.routing.registerRoute(
  function (ctx) { return ctx.request.mode === "navigate" && inspectorPage.test(ctx.url.pathname) && ctx.url.search === ""; },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 6,
    plugins: [
      // Only pages really shown: never a redirect to the login page or an error.
      new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new workbox.expiration.ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 14 * 24 * 3600 }),
    ],
  })
);

// Styles, scripts and vendored libraries: served from the cache, refreshed behind.
workbox.routing.registerRoute(
  function (ctx) { return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf("/static/") === 0; },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: ASSETS })
);

// A page that was never cached answers a short offline page instead of the browser's own.
workbox.routing.setCatchHandler(function (ctx) {
  if (ctx.request.mode === "navigate") {
    return caches.match("/static/field/offline.html", { cacheName: ASSETS }).then(function (r) {
      return r || Response.error();
    });
  }
  return Response.error();
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(ASSETS).then(function (c) {
    return c.addAll(["/static/css/app.css", "/static/js/app.js", "/static/js/field.js",
      "/static/vendor/idb/umd.js", "/static/vendor/htmx.org/htmx.min.js", "/static/field/offline.html",
      "/static/field/icon-192.png"]);
  }));
  self.skipWaiting();
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
