/* Draws every element carrying data-chart (an ECharts option object computed on the server).
   Runs on page load and after htmx swaps; charts follow the window size. */
(function () {
  "use strict";
  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(el.dataset.chart));
      el.dataset.drawn = "1";
    });
  }
  function resize() {
    document.querySelectorAll("[data-chart][data-drawn]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { draw(evt.target); });
  window.addEventListener("resize", resize);
})();
