/* The Metrics tab's charts: each `.metrics-plot` is followed by a JSON script with {unit, start, end, series}
   (series: {name, role: value|request|limit, points: [[unix seconds, value], ...]}); `#metrics-markers` lists the
   Deployment's events {time, kind, label}, drawn as vertical lines on every chart. Drawn with uPlot. */
(function () {
  "use strict";

  var PALETTE = ["#066fd1", "#2fb344", "#f76707", "#ae3ec9", "#d63939", "#0ca678", "#f59f00", "#4263eb"];
  var ROLE_COLOURS = { request: "#868e96", limit: "#d63939" };
  var STATE_COLOURS = {
    success: "#2fb344", failed: "#d63939", up_for_retry: "#f59f00", skipped: "#868e96",
    running: "#066fd1", queued: "#f76707", open: "#2fb344", scheduled: "#ae3ec9", deferred: "#4263eb",
    starving: "#d63939", heartbeats: "#066fd1"
  };
  var MARKER_COLOURS = { deploy: "#066fd1", scaling: "#ae3ec9", status: "#f59f00" };

  function formatValue(value, unit) {
    if (value == null) return "–";
    if (unit === "bytes") {
      var sizes = [[1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"]];
      for (var i = 0; i < sizes.length; i++) {
        if (Math.abs(value) >= sizes[i][0]) {
          var scaled = value / sizes[i][0];
          return (scaled >= 100 ? scaled.toFixed(0) : scaled.toFixed(1)) + " " + sizes[i][1];
        }
      }
      return value.toFixed(0) + " B";
    }
    if (unit === "cores") return value.toFixed(2);
    return Math.abs(value) >= 100 || value === Math.round(value) ? value.toFixed(0) : value.toFixed(1);
  }

  function align(data) {
    // One x axis for every series (Prometheus answers on the same step grid; a series may lack some steps).
    var times = {};
    data.series.forEach(function (s) { s.points.forEach(function (p) { times[p[0]] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var index = {};
    xs.forEach(function (t, i) { index[t] = i; });
    var columns = [xs];
    data.series.forEach(function (s) {
      var column = new Array(xs.length).fill(null);
      s.points.forEach(function (p) { column[index[p[0]]] = p[1]; });
      columns.push(column);
    });
    return columns;
  }

  function markersPlugin(markers) {
    return {
      hooks: {
        draw: function (u) {
          var ctx = u.ctx;
          ctx.save();
          markers.forEach(function (m) {
            if (m.time < u.scales.x.min) return;
            // An event since the newest point (at most one step later) is drawn at the right edge.
            var x = Math.round(u.valToPos(Math.min(m.time, u.scales.x.max), "x", true));
            ctx.strokeStyle = MARKER_COLOURS[m.kind] || "#868e96";
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = ctx.strokeStyle;
            ctx.beginPath();
            ctx.arc(x, u.bbox.top + 4 * devicePixelRatio, 3.5 * devicePixelRatio, 0, 2 * Math.PI);
            ctx.fill();
          });
          ctx.restore();
        }
      }
    };
  }

  function draw(element, data, markers) {
    var width = element.clientWidth || 600;
    var small = element.classList.contains("metrics-plot-small");
    var colourIndex = 0;
    var series = [{}].concat(data.series.map(function (s) {
      var colour = ROLE_COLOURS[s.role] || STATE_COLOURS[s.name] || PALETTE[colourIndex++ % PALETTE.length];
      return {
        label: s.name,
        stroke: colour,
        width: s.role === "value" ? 2 : 1.5,
        dash: s.role === "value" ? undefined : [6, 4],
        fill: s.role === "value" && data.series.length === 1 ? colour + "1a" : undefined,
        spanGaps: false,
        points: { show: false },
        value: function (u, v) { return formatValue(v, data.unit); }
      };
    }));
    var options = {
      width: width,
      height: small ? 150 : 220,
      series: series,
      legend: { show: !small || data.series.length > 1, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, min: data.start, max: data.end },
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        { stroke: "#667382", grid: { stroke: "#e6e7e9" }, ticks: { stroke: "#e6e7e9" } },
        {
          stroke: "#667382", grid: { stroke: "#e6e7e9" }, ticks: { stroke: "#e6e7e9" },
          size: data.unit === "bytes" ? 76 : 52,
          values: function (u, values) { return values.map(function (v) { return formatValue(v, data.unit); }); }
        }
      ],
      plugins: [markersPlugin(markers)]
    };
    element.innerHTML = "";
    var plot = new uPlot(options, align(data), element);
    element._plot = plot;
    return plot;
  }

  function drawAll(root) {
    if (typeof uPlot === "undefined") return;
    var markerScript = document.getElementById("metrics-markers");
    var markers = markerScript ? JSON.parse(markerScript.textContent) : [];
    (root || document).querySelectorAll(".metrics-plot").forEach(function (element) {
      var script = element.nextElementSibling;
      if (element.dataset.drawn || !script || script.type !== "application/json") return;
      draw(element, JSON.parse(script.textContent), markers);
      element.dataset.drawn = "true";
    });
  }

  function resize() {
    document.querySelectorAll(".metrics-plot").forEach(function (element) {
      if (element._plot) element._plot.setSize({ width: element.clientWidth, height: element._plot.height });
    });
  }

  // After #metrics-body is swapped in (drawing skips what is drawn already).
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("#metrics-body") : null;
    if (target) {
      drawAll(target);
      // The window links: mark the chosen one (the body was swapped in place, the picker stays).
      var chosen = target.dataset.window;
      document.querySelectorAll("#metrics-windows a").forEach(function (link) {
        var on = link.dataset.window === chosen;
        link.classList.toggle("btn-primary", on);
        link.classList.toggle("active", on);
        if (on) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
      });
    }
  });
  window.addEventListener("resize", function () { clearTimeout(window._metricsResize); window._metricsResize = setTimeout(resize, 150); });
})();
