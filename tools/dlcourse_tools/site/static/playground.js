/* dlcourse kernel playground: a 3x3 kernel, stride and padding, applied live to a real photo.
 * DLPlayground.conv2d is the same cross-correlation as dlcourse.kernels.conv2d_loop
 * (tests compare them on fixed cases, and the pointer's multiply-and-sum with conv2d_loop).
 * Every map is drawn at the same scale, so a stride of 2 gives a map half as wide and high.
 * Plain JS, no dependencies. */
(function (root) {
  "use strict";

  var FIXED = 1; // fixed colours: -1 or less is black, 0 mid-grey, +1 or more white

  function outputSize(n, k, p, s) {
    if (k > n + 2 * p) throw new Error("kernel " + k + " is larger than the padded input " + (n + 2 * p));
    return Math.floor((n + 2 * p - k) / s) + 1;
  }

  // image: array of rows (H x W), kernel: rows (kh x kw) -> array of rows
  function conv2d(image, kernel, stride, padding) {
    var h = image.length, w = image[0].length, kh = kernel.length, kw = kernel[0].length;
    var oh = outputSize(h, kh, padding, stride), ow = outputSize(w, kw, padding, stride);
    var out = [];
    for (var i = 0; i < oh; i++) {
      var row = new Array(ow);
      for (var j = 0; j < ow; j++) {
        var sum = 0;
        for (var a = 0; a < kh; a++) {
          var y = i * stride + a - padding;
          if (y < 0 || y >= h) continue;
          for (var b = 0; b < kw; b++) {
            var x = j * stride + b - padding;
            if (x < 0 || x >= w) continue;
            sum += image[y][x] * kernel[a][b];
          }
        }
        row[j] = sum;
      }
      out.push(row);
    }
    return out;
  }

  function relu(map) { return map.map(function (r) { return r.map(function (v) { return v > 0 ? v : 0; }); }); }

  // The image with `p` rows and columns of zeros around it: what the kernel actually slides over.
  function pad(image, p) {
    var w = image[0].length, zeros = function (n) { return new Array(n).fill(0); }, out = [];
    for (var i = 0; i < p; i++) out.push(zeros(w + 2 * p));
    image.forEach(function (r) { out.push(zeros(p).concat(r, zeros(p))); });
    for (i = 0; i < p; i++) out.push(zeros(w + 2 * p));
    return out;
  }

  function extent(map) {
    var lo = Infinity, hi = -Infinity;
    map.forEach(function (r) { r.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; }); });
    return { min: lo, max: hi };
  }

  function grayFromImage(img) {
    var c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    var data = ctx.getImageData(0, 0, c.width, c.height).data, rows = [];
    for (var y = 0; y < c.height; y++) {
      var row = new Array(c.width);
      for (var x = 0; x < c.width; x++) row[x] = data[(y * c.width + x) * 4] / 255; // the photo is grey: R = G = B
      rows.push(row);
    }
    return rows;
  }

  // One canvas pixel per map value: `lo` (or less) black, `hi` (or more) white.
  function draw(canvas, map, lo, hi) {
    var h = map.length, w = map[0].length, span = hi - lo || 1;
    canvas.width = w; canvas.height = h;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        var g = Math.round(255 * Math.max(0, Math.min(1, (map[y][x] - lo) / span))), k = (y * w + x) * 4;
        img.data[k] = img.data[k + 1] = img.data[k + 2] = g; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  function num(v, digits) { return v.toFixed(digits).replace("-", "\u2212"); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function choice(id, label, options) {
    var s = el("select", { id: id }, options.map(function (o) { return el("option", { value: String(o[0]), text: o[1] }); }));
    return el("span", { "class": "pg-choice" }, [el("label", { "for": id, text: label }), s]);
  }

  function figure(caption, extra) {
    var canvas = el("canvas", { role: "img", "aria-label": caption });
    var frame = el("div", { "class": "pg-frame" }, [canvas].concat(extra || []));
    return { canvas: canvas, frame: frame, node: el("figure", {}, [frame, el("figcaption", { text: caption })]) };
  }

  function mount(host, presets, img) {
    var state = { input: grayFromImage(img), kernel: presets[0].values.map(function (r) { return r.slice(); }),
                  stride: 1, padding: 1, colours: "fixed", output: null, relu: null, probe: null };
    var preset = choice("pg-preset", "Preset", presets.map(function (p, i) { return [i, p.name]; }));
    var stride = choice("pg-stride", "Stride", [[1, "1"], [2, "2"], [3, "3"]]);
    var padding = choice("pg-padding", "Padding", [[0, "0"], [1, "1"], [2, "2"]]);
    var colours = choice("pg-colours", "Colours", [["fixed", "fixed: 0 is grey"], ["stretch", "stretched to each map"]]);
    padding.lastChild.value = "1";
    var cells = [], grid = el("div", { "class": "pg-grid", role: "group", "aria-label": "kernel values" });
    for (var a = 0; a < 3; a++) {
      for (var b = 0; b < 3; b++) {
        var cell = el("input", { type: "number", step: "any", "class": "pg-cell", "data-row": String(a), "data-col": String(b),
                                 "aria-label": "kernel row " + (a + 1) + " column " + (b + 1) });
        cells.push(cell); grid.appendChild(cell);
      }
    }
    var windowBox = el("div", { "class": "pg-window", hidden: "" }), marker = el("div", { "class": "pg-marker", hidden: "" });
    var input = figure("input photo, with its padding", [windowBox]);
    var output = figure("activation map", [marker]);
    var rectified = figure("after ReLU");
    output.canvas.setAttribute("tabindex", "0");
    output.canvas.setAttribute("aria-label", "activation map: point at a pixel, tap it, or use the arrow keys, to see how it is computed");
    var figures = el("div", { "class": "pg-figures" }, [input.node, output.node, rectified.node]);
    var size = el("p", { "class": "pg-size", role: "status", "aria-live": "polite" });
    var legend = el("p", { "class": "pg-legend" });
    var detail = el("div", { "class": "pg-probe", "aria-live": "polite" },
                    [el("p", { text: "Point at a pixel of the activation map (or tap it) to see its multiply-and-sum." })]);
    host.innerHTML = "";
    host.appendChild(el("div", { "class": "pg-controls" }, [preset, stride, padding, colours]));
    host.appendChild(grid);
    host.appendChild(figures);
    host.appendChild(legend);
    host.appendChild(detail);
    host.appendChild(size);

    var scale = 1;
    function layout() {
      // Every map at the same scale, chosen from the photo's width (plus the widest padding): three
      // maps in a row if each can be at least half size, else two (the third wraps below).
      var room = figures.clientWidth - 24, w = state.input[0].length + 6;
      scale = Math.min(1, room / (3 * w) >= 0.5 ? room / (3 * w) : room / (2 * w));
      [input, output, rectified].forEach(function (f) { f.node.style.width = f.canvas.width * scale + "px"; });
      if (state.probe) show(state.probe.row, state.probe.col);
    }

    function box(node, top, left, n) {
      var side = Math.max(n * scale, 4), shift = (side - n * scale) / 2;
      node.style.top = top * scale - shift + "px"; node.style.left = left * scale - shift + "px";
      node.style.width = node.style.height = side + "px";
      node.hidden = false;
    }

    // The pointer's pixel: its 3x3 window on the padded input, each product, and their sum.
    function show(i, j) {
      var oh = state.output.length, ow = state.output[0].length;
      i = Math.max(0, Math.min(oh - 1, i)); j = Math.max(0, Math.min(ow - 1, j));
      var padded = pad(state.input, state.padding), s = state.stride, sum = 0, rows = [];
      for (var a = 0; a < 3; a++) {
        var cellsRow = [];
        for (var b = 0; b < 3; b++) {
          var x = padded[i * s + a][j * s + b], w = state.kernel[a][b];
          sum += x * w;
          cellsRow.push(el("td", { text: num(x, 2) + " \u00d7 " + num(w, Math.abs(w % 1) > 0 ? 2 : 0) }));
        }
        rows.push(el("tr", {}, cellsRow));
      }
      state.probe = { row: i, col: j, sum: sum };
      box(windowBox, i * s, j * s, 3);
      box(marker, i, j, 1);
      detail.innerHTML = "";
      detail.setAttribute("data-row", String(i)); detail.setAttribute("data-col", String(j));
      detail.appendChild(el("p", { text: "Activation map row " + i + ", column " + j + " (counting from 0): the window outlined " +
        "on the input, pixel by pixel times the kernel," }));
      detail.appendChild(el("table", { "class": "pg-products" }, [el("tbody", {}, rows)]));
      detail.appendChild(el("p", {}, [document.createTextNode("added up: "), el("strong", { "class": "pg-sum", text: num(sum, 4) }),
        document.createTextNode(sum > 0 ? ", kept by the ReLU." : ", which the ReLU sets to 0.")]));
    }

    function pointAt(e) {
      var r = output.canvas.getBoundingClientRect();
      show(Math.floor((e.clientY - r.top) / r.height * state.output.length),
           Math.floor((e.clientX - r.left) / r.width * state.output[0].length));
    }
    output.canvas.addEventListener("pointermove", pointAt);
    output.canvas.addEventListener("pointerdown", pointAt);
    output.canvas.addEventListener("keydown", function (e) {
      var step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
      if (!step) return;
      e.preventDefault();
      var p = state.probe || { row: 0, col: 0 };
      show(p.row + step[0], p.col + step[1]);
    });

    function showKernel() { cells.forEach(function (c) { c.value = String(state.kernel[+c.dataset.row][+c.dataset.col]); }); }
    function update() {
      state.output = conv2d(state.input, state.kernel, state.stride, state.padding);
      state.relu = relu(state.output);
      var range = extent(state.output), fixed = state.colours === "fixed";
      var lo = fixed ? -FIXED : range.min, hi = fixed ? FIXED : range.max;
      draw(input.canvas, pad(state.input, state.padding), 0, 1);
      draw(output.canvas, state.output, lo, hi);
      draw(rectified.canvas, state.relu, lo, hi);
      var n = state.input.length, m = state.input[0].length, p = state.padding;
      size.textContent = "Input " + n + " × " + m + " → output " + state.output.length + " × " + state.output[0].length +
        " (⌊(n + 2·" + p + " − 3) / " + state.stride + "⌋ + 1 per side). " + (p === 0
          ? "Without padding the window must stay inside the photo, so the output loses a pixel on every side."
          : "Padding " + p + " adds a frame of zeros (black, around the photo) so the window can sit on the photo's " +
            "edge pixels; there part of the window sees zeros, which is why many kernels draw a line around the output.");
      legend.textContent = fixed
        ? "Activations: black is −1 or less, mid-grey 0, white +1 or more, the same for every kernel (this map: " +
          num(range.min, 2) + " to " + num(range.max, 2) + ")."
        : "Activations stretched: black is this map's lowest value (" + num(range.min, 2) + "), white its highest (" +
          num(range.max, 2) + ").";
      layout();
    }
    preset.lastChild.addEventListener("change", function () {
      state.kernel = presets[+preset.lastChild.value].values.map(function (r) { return r.slice(); });
      showKernel(); update();
    });
    cells.forEach(function (c) {
      c.addEventListener("input", function () {
        var v = parseFloat(c.value);
        state.kernel[+c.dataset.row][+c.dataset.col] = isFinite(v) ? v : 0;
        update();
      });
    });
    stride.lastChild.addEventListener("change", function () { state.stride = +stride.lastChild.value; update(); });
    padding.lastChild.addEventListener("change", function () { state.padding = +padding.lastChild.value; update(); });
    colours.lastChild.addEventListener("change", function () { state.colours = colours.lastChild.value; update(); });
    if (root.ResizeObserver) new ResizeObserver(layout).observe(figures);
    showKernel(); update();
    return state;
  }

  function boot() {
    var host = document.querySelector("[data-playground]");
    if (!host) return;
    var base = host.getAttribute("data-playground");
    fetch(base + "kernels.json").then(function (r) { return r.json(); }).then(function (presets) {
      var img = new Image();
      img.onload = function () { root.DLPlayground.state = mount(host, presets, img); host.setAttribute("data-ready", "1"); };
      img.onerror = function () { host.textContent = "The photo could not be loaded; reload the page to try again."; };
      img.src = base + "photo.png";
    }).catch(function (e) { host.textContent = "The playground could not start (" + e.message + ")."; });
  }
  root.DLPlayground = { conv2d: conv2d, relu: relu, pad: pad, outputSize: outputSize, state: null };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})(window);
