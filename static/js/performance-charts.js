/* Performance charts (Chart.js 4): value vs net invested, cumulative return vs the benchmark,
 * drawdown, and the rolling one-year volatility and Sharpe ratio, with a tooltip per day.
 *
 * Reads {days, value, net_invested, twr, benchmark_twr, drawdown, currency, benchmark, rolling:
 * {days, volatility, sharpe}, and for a backtest benchmark_value} from the
 * <script type="application/json"> named by data-source and draws into the canvases marked
 * data-chart. Runs on page load and after every HTMX swap (the period picker replaces the body).
 */
(function () {
  "use strict";
  var MINUS = "\u2212";

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function alpha(color, opacity) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
    if (!hex) return color;
    var digits = hex[1].length === 3 ? hex[1].replace(/(.)/g, "$1$1") : hex[1];
    var n = parseInt(digits, 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + opacity + ")";
  }

  function money(value, currency) {
    if (value === null || value === undefined) return "—";
    var text = Math.abs(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return (value < 0 ? MINUS : "") + text + (currency ? " " + currency : "");
  }

  function percent(value, digits) {
    if (value === null || value === undefined) return "—";
    var rounded = Number((value * 100).toFixed(digits === undefined ? 2 : digits));
    var sign = rounded > 0 ? "+" : rounded < 0 ? MINUS : "";
    return sign + Math.abs(rounded).toFixed(digits === undefined ? 2 : digits) + "%";
  }

  function readableDate(iso) {
    var parts = iso.split("-");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }

  function ticksFor(width) {
    // About one date label per 110 px, so labels never run into each other on a phone.
    return Math.max(2, Math.min(8, Math.floor(width / 110)));
  }

  function baseOptions(yFormat, tooltipFormat, width) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, tension: 0 } },
      scales: {
        x: { ticks: { maxTicksLimit: ticksFor(width), autoSkip: true, maxRotation: 0, callback: function (value) {
          var label = this.getLabelForValue(value);
          return label ? readableDate(label) : "";
        } }, grid: { display: false } },
        y: { ticks: { callback: yFormat, maxTicksLimit: 6 } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: function (items) { return items.length ? readableDate(items[0].label) : ""; },
            label: function (context) {
              return " " + context.dataset.label + ": " + tooltipFormat(context.parsed.y);
            },
          },
        },
      },
    };
  }

  function draw(root) {
    var source = document.getElementById(root.dataset.source);
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.days || !data.days.length) return;
    var loss = css("--pf-loss", "#cf222e");
    var primary = css("--pico-primary", "#0172ad");
    var muted = css("--pico-muted-color", "#7b8495");
    var currency = data.currency;
    var width = root.getBoundingClientRect().width / (window.innerWidth > 900 ? 2 : 1);
    var charts = {
      value: {
        type: "line",
        data: {
          labels: data.days,
          datasets: [
            { label: "Value", data: data.value, borderColor: primary, backgroundColor: alpha(primary, 0.12), fill: true },
            { label: "Net invested", data: data.net_invested, borderColor: muted, borderDash: [6, 4], fill: false, stepped: true },
          ].concat(
            // A backtest also draws its benchmark bought with the same money.
            data.benchmark_value && data.benchmark_value.length ? [{ label: data.benchmark, data: data.benchmark_value, borderColor: muted, fill: false, spanGaps: true }] : []
          ),
        },
        options: baseOptions(
          function (value) { return money(value, "").replace(".00", ""); },
          function (value) { return money(value, currency); },
          width
        ),
      },
      twr: {
        type: "line",
        data: {
          labels: data.days,
          datasets: [{ label: "Portfolio (TWR)", data: data.twr, borderColor: primary, fill: false }].concat(
            data.benchmark ? [{ label: data.benchmark, data: data.benchmark_twr, borderColor: muted, borderDash: [6, 4], fill: false, spanGaps: true }] : []
          ),
        },
        options: baseOptions(
          function (value) { return percent(value, 0); },
          function (value) { return percent(value); },
          width
        ),
      },
      drawdown: {
        type: "line",
        data: {
          labels: data.days,
          datasets: [{ label: "Drawdown", data: data.drawdown, borderColor: loss, backgroundColor: alpha(loss, 0.2), fill: "origin" }],
        },
        options: baseOptions(
          function (value) { return percent(value, 0); },
          function (value) { return percent(value); },
          width
        ),
      },
    };
    charts.drawdown.options.scales.y.max = 0;
    if (data.rolling && data.rolling.days) charts.rolling = rollingChart(data.rolling, primary, muted, width);
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var config = charts[canvas.dataset.chart];
      if (!config) return;
      if (canvas._chart) canvas._chart.destroy();
      canvas._chart = new Chart(canvas, config);
    });
    root.dataset.drawn = "1";
  }

  function ratio(value) {
    if (value === null || value === undefined) return "—";
    var rounded = Number(value.toFixed(2));
    return (rounded > 0 ? "+" : rounded < 0 ? MINUS : "") + Math.abs(rounded).toFixed(2);
  }

  // Rolling one-year volatility (left axis, %) and Sharpe ratio (right axis) on business days.
  function rollingChart(rolling, primary, muted, width) {
    var options = baseOptions(
      function (value) { return percent(value, 1).replace("+", ""); },
      function (value) { return percent(value); },
      width
    );
    options.scales.y1 = { position: "right", grid: { drawOnChartArea: false }, ticks: { callback: ratio, maxTicksLimit: 6 } };
    options.plugins.tooltip.callbacks.label = function (context) {
      var value = context.parsed.y;
      var text = context.dataset.yAxisID === "y1" ? ratio(value) : percent(value).replace("+", "");
      return " " + context.dataset.label + ": " + text;
    };
    return {
      type: "line",
      data: {
        labels: rolling.days,
        datasets: [
          { label: "Volatility (1 year)", data: rolling.volatility, borderColor: primary, fill: false, yAxisID: "y" },
          { label: "Sharpe ratio (1 year)", data: rolling.sharpe, borderColor: muted, borderDash: [6, 4], fill: false, yAxisID: "y1" },
        ],
      },
      options: options,
    };
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-performance-charts]").forEach(function (root) {
      if (root.dataset.drawn) return;
      draw(root);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
