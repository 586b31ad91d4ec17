// Zoom and pan for the topic map (/topics). The map is a complete server-rendered SVG: without this script it
// still shows every topic, hover titles and links; this only moves the viewBox (wheel or +/- keys to zoom,
// drag or arrow keys to pan, double click or 0 to reset).
(function () {
  "use strict";
  var svg = document.getElementById("topic-map");
  if (!svg) return;
  var start = svg.getAttribute("viewBox").split(/\s+/).map(Number);
  var box = start.slice();
  svg.setAttribute("tabindex", "0");
  svg.classList.add("zoomable");

  function apply() { svg.setAttribute("viewBox", box.join(" ")); }
  function toMap(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    var s = Math.max(box[2] / r.width, box[3] / r.height);
    var ox = (r.width * s - box[2]) / 2, oy = (r.height * s - box[3]) / 2;
    return [box[0] - ox + (clientX - r.left) * s, box[1] - oy + (clientY - r.top) * s];
  }
  function zoom(factor, cx, cy) {
    var w = box[2] * factor, h = box[3] * factor;
    if (w > start[2] * 1.5 || w < start[2] / 60) return;
    box = [cx - (cx - box[0]) * factor, cy - (cy - box[1]) * factor, w, h];
    apply();
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var p = toMap(e.clientX, e.clientY);
    zoom(e.deltaY < 0 ? 0.8 : 1.25, p[0], p[1]);
  }, { passive: false });
  var drag = null, moved = false;
  svg.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, box: box.slice() };
    moved = false;
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var r = svg.getBoundingClientRect();
    var s = Math.max(box[2] / r.width, box[3] / r.height);
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    box = [drag.box[0] - dx * s, drag.box[1] - dy * s, box[2], box[3]];
    apply();
  });
  window.addEventListener("pointerup", function () { drag = null; });
  // a drag that ends on a point must not open it
  svg.addEventListener("click", function (e) { if (moved) { e.preventDefault(); moved = false; } }, true);
  svg.addEventListener("dblclick", function (e) { e.preventDefault(); box = start.slice(); apply(); });
  svg.addEventListener("keydown", function (e) {
    var cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2, step = box[2] / 10;
    if (e.key === "+" || e.key === "=") zoom(0.8, cx, cy);
    else if (e.key === "-") zoom(1.25, cx, cy);
    else if (e.key === "0") { box = start.slice(); apply(); }
    else if (e.key === "ArrowLeft") { box[0] -= step; apply(); }
    else if (e.key === "ArrowRight") { box[0] += step; apply(); }
    else if (e.key === "ArrowUp") { box[1] -= step; apply(); }
    else if (e.key === "ArrowDown") { box[1] += step; apply(); }
    else return;
    e.preventDefault();
  });
})();
