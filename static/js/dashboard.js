// Draws the dashboard's bar chart from the JSON data block the page carries (the table below
// it holds the same figures for those who do not see the chart).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("area-chart");
  var source = document.getElementById("chart-data");
  if (!canvas || !source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  // "Kota Administrasi Jakarta Pusat" reads as "Jakarta Pusat" on a narrow chart.
  data.labels = data.labels.map(function (l) { return l.replace(/^(Kota|Kabupaten) Administrasi /, ""); });
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: "#0b5c8a" }] },
    options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
      scales: { x: { ticks: { callback: function (v) { return Number(v).toLocaleString("id-ID"); } } } } }
  });
});
