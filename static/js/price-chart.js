/* Daily-close line chart (Chart.js 4) for the asset page.
 *
 * Each <canvas data-price-chart data-source="id"> reads {labels: [ISO dates], closes: [numbers],
 * currency, symbol} from the <script type="application/json"> with that id. Runs on page load
 * and after every HTMX swap (the range picker and the end of a backfill replace the chart).
 * One tooltip per day; the x axis is a category axis of dates, so no date adapter is needed.
 */
(function () {
  "use strict";

  function priceText(value, currency) {
    var size = Math.abs(value);
    var places = size >= 1 || size === 0 ? 2 : size >= 0.01 ? 4 : 8;
    return value.toLocaleString(undefined, { minimumFractionDigits: places, maximumFractionDigits: places }) +
      (currency ? " " + currency : "");
  }

  function dayText(iso) {
    var parts = iso.split("-");
    var day = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return day.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var styles = getComputedStyle(document.documentElement);
    var line = (styles.getPropertyValue("--pico-primary") || "#0172ad").trim();
    var grid = (styles.getPropertyValue("--pico-muted-border-color") || "#e7eaf0").trim();
    var rising = data.closes.length > 1 && data.closes[data.closes.length - 1] >= data.closes[0];
    if (canvas._chart) canvas._chart.destroy();
    canvas._chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.symbol,
          data: data.closes,
          borderColor: line,
          backgroundColor: line + "22",
          borderWidth: 1.5,
          pointRadius: 0,
          pointHoverRadius: 3,
          fill: "origin",
          tension: 0,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        normalized: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: {
            grid: { display: false },
            ticks: {
              maxTicksLimit: 6,
              maxRotation: 0,
              callback: function (value) { return dayText(this.getLabelForValue(value)); },
            },
          },
          y: {
            beginAtZero: false,
            grid: { color: grid },
            ticks: { callback: function (value) { return priceText(value, ""); } },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            displayColors: false,
            callbacks: {
              title: function (items) { return dayText(items[0].label); },
              label: function (context) { return "Close " + priceText(context.parsed.y, data.currency); },
            },
          },
        },
      },
    });
    canvas.dataset.trend = rising ? "up" : "down";
  }

  function drawAll() {
    if (typeof Chart === "undefined") return;
    // Charts whose canvas an HTMX swap removed are released.
    Object.values(Chart.instances || {}).forEach(function (chart) {
      if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
    });
    document.querySelectorAll("canvas[data-price-chart]").forEach(function (canvas) {
      if (!canvas._chart) draw(canvas);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
