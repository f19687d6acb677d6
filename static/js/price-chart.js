/* Daily-close line chart (Chart.js 4) for the asset page.
 *
 * Each <canvas data-price-chart data-source="id"> reads {labels: [ISO dates], closes: [numbers],
 * currency, symbol} from the <script type="application/json"> with that id; the holding page
 * adds `buys` and `sells` (a trade price on its day, null elsewhere), drawn as markers. Runs on page load
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
    var datasets = [{
      label: data.symbol,
      data: data.closes,
      borderColor: line,
      backgroundColor: line + "22",
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 3,
      fill: "origin",
      tension: 0,
    }];
    [["buys", "Buy", "#2e7d32", "triangle", 0], ["sells", "Sell", "#c62828", "triangle", 180]].forEach(function (mark) {
      if (!data[mark[0]]) return;
      datasets.push({
        label: mark[1],
        data: data[mark[0]],
        type: "line",
        showLine: false,
        borderColor: mark[2],
        backgroundColor: mark[2],
        pointStyle: mark[3],
        rotation: mark[4],
        pointRadius: 6,
        pointHoverRadius: 8,
        spanGaps: false,
      });
    });
    if (canvas._chart) canvas._chart.destroy();
    canvas._chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: datasets,
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
          legend: { display: datasets.length > 1, labels: { filter: function (item) { return item.datasetIndex > 0; } } },
          tooltip: {
            displayColors: false,
            callbacks: {
              title: function (items) { return dayText(items[0].label); },
              label: function (context) {
                if (context.parsed.y === null) return null;
                var name = context.datasetIndex === 0 ? "Close " : context.dataset.label + " at ";
                return name + priceText(context.parsed.y, data.currency);
              },
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
