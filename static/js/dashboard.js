// The dashboard's pictures, drawn from the JSON blocks the page carries (the tables below them
// hold the same figures for those who do not see them; CSP forbids inline scripts):
//  - the map: Leaflet, the boundary polygons on a plain background (a tile layer only when the
//    installation configures PATUH_MAP_TILES), shaded by the chosen measure, a click drilling
//    down; Kepulauan Seribu, 60 km out to sea, in an inset;
//  - the trend of the resident count against the year's target, with the projection;
//  - the bar chart of the areas.
"use strict";
(function () {
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function fmt(n) { return Number(n).toLocaleString("id-ID"); }

  // Five classes, light to dark. Sequential blues; the darkest still lets the outline show.
  var shades = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

  function drawMap() {
    var el = document.getElementById("map");
    var data = json("map-data");
    var texts = json("map-texts");
    if (!el || !data || !window.L) return;
    var byKode = {};
    data.areas.forEach(function (a) { byKode[a.kode] = a; });
    var select = document.getElementById("measure");
    var params = new URLSearchParams(location.search);
    if (params.get("measure") && texts.measures[params.get("measure")]) select.value = params.get("measure");

    function makeMap(container, interactive) {
      // The zoom buttons go top right: the inset of Kepulauan Seribu sits top left, where
      // the islands lie.
      var m = L.map(container, { zoomSnap: 0.25, attributionControl: interactive, zoomControl: false,
        scrollWheelZoom: false, dragging: interactive, doubleClickZoom: interactive, boxZoom: false, keyboard: interactive });
      if (interactive) L.control.zoom({ position: "topright" }).addTo(m);
      if (interactive && data.tiles) L.tileLayer(data.tiles, { maxZoom: 18, attribution: "" }).addTo(m);
      if (interactive) m.attributionControl.setPrefix(false).addAttribution(data.attribution);
      return m;
    }
    var main = makeMap(el, true);
    var inset = null, insetBox = null;

    // Class breaks: equal steps up to the largest value shown (0 stays in the lightest class).
    function breaks(measure) {
      var most = 0;
      data.areas.forEach(function (a) { most = Math.max(most, a.values[measure] || 0); });
      return most;
    }
    function classOf(v, most) {
      if (!most || !v) return 0;
      return Math.min(4, Math.ceil((v / most) * 5) - 1);
    }
    var layers = [];
    function style(measure, most) {
      return function (f) {
        var a = byKode[f.properties.kode];
        var v = a ? a.values[measure] : 0;
        return { color: "#33475b", weight: 1, fillOpacity: 0.85, fillColor: shades[classOf(v, most)] };
      };
    }
    function legend(measure, most) {
      var ul = document.getElementById("legend");
      ul.textContent = "";
      var shown = texts.measures[measure];
      var title = document.createElement("li");
      title.textContent = shown + ":";
      ul.appendChild(title);
      if (!most) {
        var none = document.createElement("li");
        none.textContent = texts.none;
        ul.appendChild(none);
        return;
      }
      var unit = measure === "flagged_share" ? function (v) { return (v / 10).toLocaleString("id-ID", { maximumFractionDigits: 1 }) + "%"; }
        : measure === "shortfall" ? function (v) { return "Rp " + fmt(Math.round(v)); } : function (v) { return fmt(Math.round(v)); };
      for (var i = 0; i < 5; i++) {
        var lo = i === 0 ? 0 : Math.floor((most * i) / 5) + 1, hi = Math.floor((most * (i + 1)) / 5);
        if (hi < lo) continue;
        var li = document.createElement("li");
        var sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = shades[i];
        li.appendChild(sw);
        li.appendChild(document.createTextNode(unit(lo) + " – " + unit(hi)));
        ul.appendChild(li);
      }
    }
    function paint() {
      var measure = select.value;
      var most = breaks(measure);
      layers.forEach(function (l) { l.setStyle(style(measure, most)); });
      legend(measure, most);
      el.dataset.measure = measure;
    }

    fetch(data.boundaries, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      var mainland = [], islands = [];
      geo.features.forEach(function (f) {
        (f.properties.kode.indexOf(data.inset) === 0 ? islands : mainland).push(f);
      });
      // Only the islands: they are the whole map, no inset.
      if (!mainland.length) { mainland = islands; islands = []; }
      function onEach(f, layer) {
        var a = byKode[f.properties.kode];
        layer.bindTooltip(function () {
          var m = select.value;
          return f.properties.nama + ": " + (a ? a.shown[m] : "–");
        }, { sticky: true });
        layer.on("click", function () { if (a) location.href = a.href; });
        // Each polygon is also reachable by keyboard through the table; the path carries its
        // name and kode for tests and assistive tools that read the SVG.
        layer.on("add", function () {
          var p = layer.getElement && layer.getElement();
          if (p) { p.setAttribute("data-kode", f.properties.kode); p.setAttribute("role", "img"); p.setAttribute("aria-label", f.properties.nama); }
        });
      }
      var mainLayer = L.geoJSON({ type: "FeatureCollection", features: mainland }, { onEachFeature: onEach }).addTo(main);
      layers.push(mainLayer);
      var left = 8;
      if (islands.length) {
        insetBox = document.createElement("div");
        insetBox.className = "map-inset";
        insetBox.id = "map-inset";
        el.parentNode.appendChild(insetBox);
        // The mainland starts right of the inset, so that the inset covers none of it.
        left = insetBox.offsetWidth + 12;
      }
      if (mainland.length) main.fitBounds(mainLayer.getBounds(), { paddingTopLeft: [left, 8], paddingBottomRight: [8, 8] });
      if (islands.length) {
        var label = document.createElement("p");
        label.className = "map-inset-label";
        label.textContent = texts.inset;
        inset = makeMap(insetBox, false);
        insetBox.appendChild(label);
        var insetLayer = L.geoJSON({ type: "FeatureCollection", features: islands }, { onEachFeature: onEach }).addTo(inset);
        layers.push(insetLayer);
        inset.fitBounds(insetLayer.getBounds(), { padding: [4, 4] });
      }
      paint();
      el.dataset.features = String(geo.features.length);
      el.dataset.ready = "true";
    });
    select.addEventListener("change", function () {
      paint();
      var p = new URLSearchParams(location.search);
      p.set("measure", select.value);
      history.replaceState(null, "", location.pathname + "?" + p.toString());
    });
  }

  function drawTrend() {
    var canvas = document.getElementById("trend-chart");
    var d = json("trend-data");
    if (!canvas || !d || !window.Chart) return;
    var points = d.points.map(function (p) { return { x: p.x, y: p.y, label: p.label }; });
    var sets = [{ label: d.labels.Residents, data: points, borderColor: "#0b5c8a", backgroundColor: "#0b5c8a", pointRadius: 4, showLine: true }];
    if (d.projection.length) {
      sets.push({ label: d.labels.Projection, data: d.projection, borderColor: "#b54708", backgroundColor: "#b54708", borderDash: [6, 4], pointRadius: 3, showLine: true });
    }
    if (d.target) {
      sets.push({ label: d.labels.Target, data: [{ x: 0, y: d.target, label: "" }, { x: 364, y: d.target, label: "" }], borderColor: "#067647", pointRadius: 0, borderWidth: 2, showLine: true });
    }
    var first = points.length ? Math.min(0, points[0].x) : 0;
    new Chart(canvas, {
      type: "scatter",
      data: { datasets: sets },
      options: {
        maintainAspectRatio: false, animation: false,
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + (c.raw.label ? " (" + c.raw.label + ")" : "") + ": " + fmt(c.raw.y); } } } },
        scales: {
          x: { type: "linear", min: first, max: 365,
            afterBuildTicks: function (axis) { axis.ticks = d.month_days.map(function (v) { return { value: v }; }); },
            ticks: { autoSkip: true, maxRotation: 0, callback: function (v) { var i = d.month_days.indexOf(v); return i >= 0 ? d.months[i] : ""; } } },
          // People are counted whole: no fractional ticks.
          y: { beginAtZero: false, ticks: { precision: 0, callback: function (v) { return fmt(v); } } }
        }
      }
    });
    canvas.dataset.points = String(points.length);
    canvas.dataset.projection = String(d.projection.length);
  }

  function drawBars() {
    var canvas = document.getElementById("area-chart");
    var data = json("chart-data");
    if (!canvas || !data || !window.Chart) return;
    // "Kota Administrasi Jakarta Pusat" reads as "Jakarta Pusat" on a narrow chart.
    data.labels = data.labels.map(function (l) { return l.replace(/^(Kota|Kabupaten) Administrasi /, ""); });
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: "#0b5c8a" }] },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
        // Workers are counted whole: integer ticks only.
        scales: { x: { beginAtZero: true, ticks: { precision: 0, callback: function (v) { return Number.isInteger(v) ? fmt(v) : ""; } } } } }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawMap();
    drawTrend();
    drawBars();
  });
})();
