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
