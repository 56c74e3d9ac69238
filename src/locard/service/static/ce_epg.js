// The interactive electropherogram of the raw CE runs page (service/ce_epg.py draws it).
// Zoom: the locus selector, the mouse wheel (around the pointer), drag to pan, Reset zoom.
// Flags: click (or Enter on) a red marker or a list item to see the flag's rule and reason.
// No library, nothing fetched: the page works offline and without this file (initial view).
(function () {
  "use strict";

  function num(el, name) { return parseFloat(el.getAttribute(name)); }

  function setup(epg) {
    var g = epg.getAttribute("data-geom").split(",").map(parseFloat);
    var W = g[0], H = g[1], L = g[2], R = g[3], T = g[4], B = g[5];
    var init = [num(epg, "data-x0"), num(epg, "data-x1")];
    var full = [num(epg, "data-full0"), num(epg, "data-full1")];
    var view = init.slice();
    var panels = Array.prototype.map.call(epg.querySelectorAll(".epg-panel"), function (svg) {
      var line = svg.querySelector(".trace");
      var xs = [], ys = [];
      (line ? line.getAttribute("points") : "").trim().split(/\s+/).forEach(function (pt) {
        var c = pt.split(",");
        if (c.length === 2) { xs.push(parseFloat(c[0])); ys.push(parseFloat(c[1])); }
      });
      return { svg: svg, data: svg.querySelector(".epg-data"), xs: xs, ys: ys,
               ymax: svg.querySelector(".ymax"),
               marks: svg.querySelectorAll(".epg-labels [data-bp]") };
    });
    var reason = epg.querySelector(".flag-reason");
    var select = epg.querySelector(".epg-locus");

    function draw() {
      var x0 = view[0], x1 = view[1], span = x1 - x0;
      var kx = (W - L - R) / span;
      epg.setAttribute("data-view", x0.toFixed(2) + "," + x1.toFixed(2));
      panels.forEach(function (p) {
        var top = 0;
        for (var i = 0; i < p.xs.length; i++) {
          if (p.xs[i] >= x0 && p.xs[i] <= x1 && p.ys[i] > top) { top = p.ys[i]; }
        }
        var ymax = Math.max(100, top * 1.1);
        var ky = (H - T - B) / ymax;
        p.data.setAttribute("transform", "matrix(" + kx + " 0 0 " + (-ky) + " " +
                            (L - x0 * kx) + " " + (H - B) + ")");
        if (p.ymax) { p.ymax.textContent = Math.round(ymax); }
        Array.prototype.forEach.call(p.marks, function (el) {
          var bp = num(el, "data-bp");
          var px = L + (bp - x0) * kx;
          var inside = bp >= x0 && bp <= x1;
          var cls = el.getAttribute("class") || "";
          if (cls.indexOf("bin-label") >= 0) { inside = inside && span < 120; }
          if (cls.indexOf("tick") >= 0) {
            var major = cls.indexOf("major") >= 0;
            el.textContent = (major || span < 150) ? String(Math.round(bp)) : "";
          }
          el.setAttribute("visibility", inside ? "visible" : "hidden");
          if (cls.indexOf("flag-mark") >= 0) {
            el.setAttribute("transform", "translate(" + px.toFixed(1) + " " + (T - 14) + ")");
          } else {
            el.setAttribute("x", px.toFixed(1));
          }
          if (cls.indexOf("peak") >= 0) {
            var y = Math.max(T - 2, H - B - num(el, "data-rfu") * ky - 4);
            el.setAttribute("y", y.toFixed(1));
          }
        });
      });
    }

    function zoomTo(a, b) {
      var lo = Math.max(full[0], Math.min(a, b)), hi = Math.min(full[1], Math.max(a, b));
      if (hi - lo < 4) { var c = (lo + hi) / 2; lo = c - 2; hi = c + 2; }
      view = [lo, hi];
      draw();
    }

    function svgX(svg, clientX) {
      var r = svg.getBoundingClientRect();
      return (clientX - r.left) * W / r.width;
    }

    function showFlag(i) {
      var item = epg.querySelector('.flag-item[data-flag="' + i + '"]');
      if (!item || !reason) { return; }
      reason.textContent = item.textContent;
      reason.hidden = false;
      epg.querySelectorAll(".flag-item.on, .flag-mark.on").forEach(function (el) {
        el.classList.remove("on");
      });
      item.classList.add("on");
      epg.querySelectorAll('.flag-mark[data-flag="' + i + '"]').forEach(function (el) {
        el.classList.add("on");
      });
    }

    if (select) {
      select.addEventListener("change", function () {
        var opt = select.options[select.selectedIndex];
        if (!opt || !opt.value) { view = init.slice(); draw(); return; }
        zoomTo(num(opt, "data-lo") - 2, num(opt, "data-hi") + 2);
      });
    }
    var reset = epg.querySelector(".epg-reset");
    if (reset) {
      reset.addEventListener("click", function () {
        if (select) { select.value = ""; }
        view = init.slice();
        draw();
      });
    }

    panels.forEach(function (p) {
      p.svg.addEventListener("wheel", function (ev) {
        ev.preventDefault();
        var kx = (W - L - R) / (view[1] - view[0]);
        var at = view[0] + (svgX(p.svg, ev.clientX) - L) / kx;
        var f = ev.deltaY > 0 ? 1.25 : 0.8;
        zoomTo(at - (at - view[0]) * f, at + (view[1] - at) * f);
      }, { passive: false });
      var drag = null;
      p.svg.addEventListener("mousedown", function (ev) {
        if (ev.button !== 0 || ev.target.closest(".flag-mark")) { return; }
        drag = { x: svgX(p.svg, ev.clientX), view: view.slice() };
        p.svg.classList.add("dragging");
        ev.preventDefault();
      });
      window.addEventListener("mousemove", function (ev) {
        if (!drag) { return; }
        var kx = (W - L - R) / (drag.view[1] - drag.view[0]);
        var d = (svgX(p.svg, ev.clientX) - drag.x) / kx;
        var lo = drag.view[0] - d, hi = drag.view[1] - d;
        if (lo < full[0]) { hi += full[0] - lo; lo = full[0]; }
        if (hi > full[1]) { lo -= hi - full[1]; hi = full[1]; }
        view = [lo, hi];
        draw();
      });
      window.addEventListener("mouseup", function () {
        if (drag) { drag = null; p.svg.classList.remove("dragging"); }
      });
    });

    epg.addEventListener("click", function (ev) {
      var el = ev.target.closest("[data-flag]");
      if (el) { showFlag(el.getAttribute("data-flag")); }
    });
    epg.addEventListener("keydown", function (ev) {
      var el = ev.target.closest && ev.target.closest("[data-flag]");
      if (el && (ev.key === "Enter" || ev.key === " ")) {
        ev.preventDefault();
        showFlag(el.getAttribute("data-flag"));
      }
    });
    draw();
  }

  function start() { document.querySelectorAll(".epg[data-geom]").forEach(setup); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
