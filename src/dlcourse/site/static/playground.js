/* dlcourse kernel playground: a 3x3 kernel, stride and padding, applied live to a real photo.
 * DLPlayground.conv2d is the same cross-correlation as dlcourse.kernels.conv2d_loop
 * (tests compare them on fixed cases). Plain JS, no dependencies. */
(function (root) {
  "use strict";

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

  function draw(canvas, map) {
    var h = map.length, w = map[0].length, lo = Infinity, hi = -Infinity;
    map.forEach(function (r) { r.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; }); });
    var span = hi - lo || 1;
    canvas.width = w; canvas.height = h;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        var g = Math.round(255 * (map[y][x] - lo) / span), k = (y * w + x) * 4;
        img.data[k] = img.data[k + 1] = img.data[k + 2] = g; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return { min: lo, max: hi };
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function mount(host, presets, img) {
    var state = { input: grayFromImage(img), kernel: presets[0].values.map(function (r) { return r.slice(); }),
                  stride: 1, padding: 1, output: null, relu: null };
    var select = el("select", { id: "pg-preset" }, presets.map(function (p, i) { return el("option", { value: String(i), text: p.name }); }));
    var cells = [];
    var grid = el("div", { "class": "pg-grid", role: "group", "aria-label": "kernel values" });
    for (var a = 0; a < 3; a++) {
      for (var b = 0; b < 3; b++) {
        var cell = el("input", { type: "number", step: "any", "class": "pg-cell", "data-row": String(a), "data-col": String(b),
                                 "aria-label": "kernel row " + (a + 1) + " column " + (b + 1) });
        cells.push(cell); grid.appendChild(cell);
      }
    }
    function choice(id, label, values) {
      var s = el("select", { id: id }, values.map(function (v) { return el("option", { value: String(v), text: String(v) }); }));
      return [el("label", { "for": id, text: label }), s];
    }
    var stride = choice("pg-stride", "Stride", [1, 2, 3]), padding = choice("pg-padding", "Padding", [0, 1, 2]);
    padding[1].value = "1";
    var size = el("p", { "class": "pg-size", role: "status", "aria-live": "polite" });
    var canvases = ["input photo", "activation map", "after ReLU"].map(function (t) {
      return { title: t, canvas: el("canvas", { role: "img", "aria-label": t }) };
    });
    var figures = el("div", { "class": "pg-figures" }, canvases.map(function (c) {
      return el("figure", {}, [c.canvas, el("figcaption", { text: c.title })]);
    }));
    host.innerHTML = "";
    host.appendChild(el("div", { "class": "pg-controls" }, [
      el("label", { "for": "pg-preset", text: "Preset" }), select, grid,
      el("div", { "class": "pg-choices" }, stride.concat(padding))
    ]));
    host.appendChild(size);
    host.appendChild(figures);

    function showKernel() { cells.forEach(function (c) { c.value = String(state.kernel[+c.dataset.row][+c.dataset.col]); }); }
    function update() {
      state.output = conv2d(state.input, state.kernel, state.stride, state.padding);
      state.relu = relu(state.output);
      draw(canvases[0].canvas, state.input);
      var range = draw(canvases[1].canvas, state.output);
      draw(canvases[2].canvas, state.relu);
      var n = state.input.length, m = state.input[0].length;
      size.textContent = "Input " + n + " × " + m + " → output " + state.output.length + " × " + state.output[0].length +
        "  (floor((n + 2·" + state.padding + " − 3) / " + state.stride + ") + 1 per side); activations from " +
        range.min.toFixed(2) + " to " + range.max.toFixed(2) + ".";
    }
    select.addEventListener("change", function () {
      state.kernel = presets[+select.value].values.map(function (r) { return r.slice(); });
      showKernel(); update();
    });
    cells.forEach(function (c) {
      c.addEventListener("input", function () {
        var v = parseFloat(c.value);
        state.kernel[+c.dataset.row][+c.dataset.col] = isFinite(v) ? v : 0;
        update();
      });
    });
    stride[1].addEventListener("change", function () { state.stride = +stride[1].value; update(); });
    padding[1].addEventListener("change", function () { state.padding = +padding[1].value; update(); });
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
  root.DLPlayground = { conv2d: conv2d, relu: relu, outputSize: outputSize, state: null };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})(window);
