// Patuh's own scripts: small progressive enhancements; every page works without them.
"use strict";

// A button marked data-gps fills the form's lat/lon from the phone's position, when allowed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-gps]");
  if (!button || !navigator.geolocation) return;
  var status = document.getElementById("gps-status");
  status.textContent = "…";
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
    document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
    status.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
  }, function (err) { status.textContent = err.message; }, { enableHighAccuracy: true, timeout: 15000 });
});

// A table wider than the screen scrolls inside its .table-wrap: keyboard users reach it with
// Tab and scroll it with the arrow keys (WCAG 2.1.1; axe-core's scrollable-region-focusable).
function focusableTables(root) {
  root.querySelectorAll(".table-wrap:not([tabindex])").forEach(function (wrap) {
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    var head = wrap.querySelector("caption, thead th");
    wrap.setAttribute("aria-label", head ? head.textContent.trim() : document.title);
  });
}
focusableTables(document);
document.addEventListener("htmx:afterSwap", function (event) { focusableTables(event.target); });
