/* Reports: draws each figure's chart from its canvas's data-chart (the same figures as the table beside
 * it) with Chart.js, served by Meridian. Numbers follow the page's language. Without JavaScript the
 * tables carry everything. */
(function () {
  "use strict";
  var PALETTE = ["#1f5f99", "#c0571c", "#4d7f2e", "#7a4d9c", "#8a6d00", "#5a6573", "#a3324a"];
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) return;
    var locale = document.documentElement.lang || "en";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var figure;
      try { figure = JSON.parse(canvas.dataset.chart); } catch (e) { return; }
      if (!figure.labels || !figure.labels.length) {
        canvas.parentNode.hidden = true;
        return;
      }
      var stacked = !!figure.stacked;
      new window.Chart(canvas, {
        type: figure.type || "bar",
        data: {
          labels: figure.labels,
          datasets: figure.series.map(function (series, index) {
            return { label: series.label, data: series.values, backgroundColor: PALETTE[index % PALETTE.length] };
          })
        },
        options: {
          locale: locale,
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: {
            x: { stacked: stacked },
            y: { stacked: stacked, beginAtZero: true, title: { display: true, text: figure.unit || "" } }
          },
          plugins: { legend: { display: figure.series.length > 1 } }
        }
      });
    });
  });
})();
