// tangle report: draws the charts described in #tangle-charts with ECharts
// and makes tables sortable. It inserts text only as text (textContent) or
// through ECharts, which escapes names in its tooltips; tooltips built
// here escape every string they show.
"use strict";
(function () {
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // num writes x with about sig significant digits, as the Go side does.
  function num(x, sig) {
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e9 || a < 1e-4) return x.toExponential(sig - 1);
    if (a >= Math.pow(10, sig)) return x.toFixed(0);
    return String(Number(x.toPrecision(sig)));
  }
  // val writes a value of an SI unit for people: ms below a second,
  // percentages for ratios.
  function val(v, unit) {
    if (v === null || v === undefined || v === "-" || typeof v !== "number" || !isFinite(v)) return "—";
    switch (unit) {
      case "s":
        var a = Math.abs(v);
        if (a === 0 || a >= 1) return num(v, 4) + " s";
        if (a >= 1e-3) return num(v * 1e3, 4) + " ms";
        return num(v * 1e6, 4) + " µs";
      case "ratio": return num(v * 100, 4) + "%";
      case "1/s": return num(v, 4) + "/s";
      case "": return num(v, 4);
    }
    return num(v, 4) + " " + unit;
  }
  // dur writes seconds as 45s, 2m30s, 1h5m, 3d4h.
  function dur(s) {
    if (typeof s !== "number" || !isFinite(s)) return "—";
    var neg = s < 0; s = Math.abs(s);
    var out;
    if (s < 1 && s > 0) out = val(s, "s").replace(" ", "");
    else if (s < 60) out = num(s, 3) + "s";
    else if (s < 3600) { var m = Math.floor(s / 60), r = Math.round(s - 60 * m); out = m + "m" + (r ? r + "s" : ""); }
    else if (s < 86400) { var h = Math.floor(s / 3600), mm = Math.round((s - 3600 * h) / 60); out = h + "h" + (mm ? mm + "m" : ""); }
    else { var d = Math.floor(s / 86400), hh = Math.round((s - 86400 * d) / 3600); out = d + "d" + (hh ? hh + "h" : ""); }
    return (neg ? "-" : "") + out;
  }
  function axisList(a) { return Array.isArray(a) ? a : (a ? [a] : []); }

  // tick writes a value-axis label: units that val() abbreviates (s, %,
  // /s) are written into each label; other units name the axis instead.
  function tick(v, unit) {
    if (unit === "s" || unit === "ratio" || unit === "1/s") return val(v, unit);
    return num(v, 4);
  }

  function decorate(spec) {
    var o = spec.option, unit = spec.unit;
    o.tooltip = o.tooltip || {};
    o.tooltip.valueFormatter = function (v) { return val(v, unit); };
    axisList(o.yAxis).forEach(function (ax) {
      if (ax.type === "value" || ax.type === "log") { ax.axisLabel = ax.axisLabel || {}; ax.axisLabel.formatter = function (v) { return tick(v, unit); }; }
    });
    if (spec.kind === "time") {
      // a time axis in ms from zero: labels are durations
      var ms = function (v) { return dur(v / 1000); };
      axisList(o.xAxis).forEach(function (ax) {
        ax.axisLabel = ax.axisLabel || {}; ax.axisLabel.formatter = ms;
        ax.axisPointer = { label: { formatter: function (p) { return ms(p.value); } } };
      });
      (o.dataZoom || []).forEach(function (z) { z.labelFormatter = ms; });
      o.tooltip.formatter = function (ps) {
        if (!ps.length) return "";
        var lines = ["<b>" + esc(ms(ps[0].value[0])) + "</b>"];
        ps.forEach(function (p) {
          var y = p.value && p.value[1];
          if (y === null || y === undefined) return;
          lines.push(p.marker + esc(p.seriesName) + ": <b>" + esc(val(y, unit)) + "</b>");
        });
        return lines.join("<br>");
      };
    }
    if (spec.kind === "timeline") {
      axisList(o.xAxis).forEach(function (ax) { ax.axisLabel = ax.axisLabel || {}; ax.axisLabel.formatter = dur; });
    }
    if (spec.kind === "timeline") {
      o.tooltip.valueFormatter = dur;
      (o.series || []).forEach(function (s) {
        if (/^gap /.test(s.name)) { s.silent = true; s.tooltip = { show: false }; s.emphasis = { disabled: true }; }
      });
    }
    if (spec.kind === "graph") {
      // labels and tooltips are the text the report computed (text, tip)
      (o.series || []).forEach(function (s) {
        s.label = s.label || {};
        s.label.formatter = function (p) { return p.data && p.data.text !== undefined ? p.data.text : p.name; };
        s.edgeLabel = s.edgeLabel || {};
        s.edgeLabel.formatter = function (p) { return p.data && p.data.text !== undefined ? p.data.text : ""; };
      });
      o.tooltip.formatter = function (p) {
        var tip = (p.data && p.data.tip) || [p.name];
        return tip.map(function (line, i) { return i === 0 ? "<b>" + esc(line) + "</b>" : esc(line); }).join("<br>");
      };
    }
    if (spec.kind === "heatmap") {
      var xs = axisList(o.xAxis)[0].data || [], ys = axisList(o.yAxis)[0].data || [];
      (o.series || []).forEach(function (s, i) {
        s.label = s.label || {};
        s.label.formatter = function (p) { return (i === 1 ? "✗ " : "") + val(p.value[2], unit); };
      });
      o.tooltip.formatter = function (p) {
        return esc(xs[p.value[0]]) + " × " + esc(ys[p.value[1]]) + ": <b>" + esc(val(p.value[2], unit)) + "</b>" + (p.seriesIndex === 1 ? " (infeasible)" : "");
      };
      (o.visualMap || []).forEach(function (vm) { vm.formatter = function (v) { return val(v, unit); }; });
    }
  }

  var specs = JSON.parse(document.getElementById("tangle-charts").textContent);
  if (typeof echarts === "undefined") {
    specs.forEach(function (s) {
      var el = document.getElementById(s.id);
      el.classList.add("unavailable");
      el.textContent = "This chart needs ECharts, which this report loads from a CDN, and it could not be loaded (offline?).";
    });
    document.body.setAttribute("data-charts", "unavailable");
  } else {
    var drawn = [];
    specs.forEach(function (s) {
      decorate(s);
      var c = echarts.init(document.getElementById(s.id), null, { renderer: "canvas" });
      c.setOption(s.option);
      drawn.push(c);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
    document.body.setAttribute("data-charts", String(drawn.length));
  }

  // Sortable tables: click a header to sort by its column's data-sort
  // values, numerically when they are numbers.
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-sort"), y = b.cells[col].getAttribute("data-sort");
          var nx = x === "" ? NaN : Number(x), ny = y === "" ? NaN : Number(y), r;
          if (isFinite(nx) && isFinite(ny)) r = nx - ny;
          else if (isFinite(nx) !== isFinite(ny)) r = isFinite(nx) ? -1 : 1;
          else r = x < y ? -1 : x > y ? 1 : 0;
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
