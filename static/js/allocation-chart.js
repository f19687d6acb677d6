/* Allocation doughnut (Chart.js 4) for the portfolio overview.
 *
 * Reads {asset|asset_class|currency: {labels, values}} from the <script type="application/json">
 * named by data-source, draws one doughnut and switches grouping with the buttons. Runs on page
 * load and after every HTMX swap (the "as of" picker replaces the whole snapshot).
 */
(function () {
  "use strict";
  var palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
  ];

  function money(value, currency) {
    return value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) +
      " " + currency;
  }

  function draw(root) {
    var source = document.getElementById(root.dataset.source);
    var canvas = root.querySelector("canvas");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var currency = root.dataset.currency || "";
    var by = root.dataset.by || "asset";
    var series = data[by] || { labels: [], values: [] };
    var total = series.values.reduce(function (sum, value) { return sum + value; }, 0);
    if (canvas._chart) canvas._chart.destroy();
    canvas._chart = new Chart(canvas, {
      type: "doughnut",
      data: {
        labels: series.labels,
        datasets: [{
          data: series.values,
          backgroundColor: series.labels.map(function (_, i) { return palette[i % palette.length]; }),
          borderWidth: 1,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (context) {
                // The tables' weight (a share of the value, cash included) when given.
                var weights = series.weights || [];
                var given = weights[context.dataIndex];
                var share = given !== undefined && given !== null ? (100 * given).toFixed(2)
                  : total ? (100 * context.parsed / total).toFixed(2) : "0.00";
                return " " + context.label + ": " + money(context.parsed, currency) + " (" + share + "%)";
              },
            },
          },
        },
      },
    });
    root.querySelectorAll("button[data-by]").forEach(function (button) {
      var active = button.dataset.by === by;
      button.setAttribute("aria-pressed", active ? "true" : "false");
      button.classList.toggle("secondary", !active);
    });
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-allocation-chart]").forEach(function (root) {
      if (root.dataset.ready) return;
      root.dataset.ready = "1";
      root.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-by]");
        if (!button) return;
        root.dataset.by = button.dataset.by;
        draw(root);
      });
      draw(root);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
