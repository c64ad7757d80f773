// The classify page: photos in, the site model's probabilities out, computed in this browser by
// ONNX Runtime Web (one thread, WebAssembly). The model's input is what a canvas gives: RGB / 255,
// (images, 3, size, size); fastai's normalisation and softmax are inside the model file.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function percent(p) {
    return (100 * p).toFixed(1) + " %";
  }

  // The centre square of `source`, scaled to size × size, over black (transparent parts of a drawing or
  // a PNG become black). At the model's size it is copied pixel for pixel.
  function pixelsOf(source, width, height, size) {
    const canvas = el("canvas", { width: size, height: size });
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    const side = Math.min(width, height);
    ctx.imageSmoothingEnabled = side !== size;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const plane = size * size;
    const pixels = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) pixels[c * plane + i] = rgba[4 * i + c] / 255;
    }
    return { pixels, canvas };
  }

  async function mount(root) {
    const base = root.dataset.root;
    const status = root.querySelector(".dlc-status");
    const results = root.querySelector(".dlc-results");
    const say = (text) => { status.textContent = text; };
    let session = null;
    let info = null;

    try {
      info = await (await fetch(base + "assets/classify/model.json")).json();
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmPaths = new URL(base + "assets/ort/", document.baseURI).href;  // not relative to ort's script
      session = await ort.InferenceSession.create(base + "assets/classify/model.onnx", {
        executionProviders: ["wasm"],
      });
    } catch (err) {
      say("The model could not be loaded in this browser (" + err.message + "). The rest of the page still works.");
      root.dataset.state = "failed";
      return;
    }
    say("Model loaded: " + info.classes.length + " classes, " + info.size + "×" + info.size +
        " pixels. Choose, drop, photograph or draw an image.");

    async function probabilities(pixels) {
      const input = new ort.Tensor("float32", pixels, [1, 3, info.size, info.size]);
      const output = await session.run({ pixels: input });
      return Array.from(output.probabilities.data);
    }

    function row(name) {
      const item = el("li", { class: "dlc-result" });
      item.append(el("span", { class: "dlc-name" }, name));
      results.prepend(item);
      return item;
    }

    function show(item, canvas, probs) {
      const order = probs.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]);
      item.dataset.top = info.classes[order[0][1]];
      item.dataset.probabilities = JSON.stringify(probs);
      canvas.setAttribute("aria-hidden", "true");
      canvas.className = "dlc-thumb";
      item.prepend(canvas);
      const list = el("ol", { class: "dlc-top" });
      for (const [p, i] of order.slice(0, 3)) {
        const entry = el("li");
        entry.append(el("span", { class: "dlc-class" }, info.classes[i]), " ");
        const bar = el("span", { class: "dlc-bar", role: "img", "aria-label": percent(p) });
        bar.style.width = Math.max(1, Math.round(100 * p)) + "px";
        entry.append(bar, " ", el("span", { class: "dlc-p" }, percent(p)));
        list.append(entry);
      }
      item.append(list);
    }

    async function classifyFile(file) {
      const item = row(file.name);
      let bitmap;
      try {
        bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
      } catch (err) {
        item.classList.add("dlc-error");
        item.dataset.error = "unreadable";
        item.append(el("p", { role: "alert" }, file.name + " could not be read as an image. " +
          "Choose a photo saved as JPEG, PNG, WebP or GIF."));
        return;
      }
      const { pixels, canvas } = pixelsOf(bitmap, bitmap.width, bitmap.height, info.size);
      bitmap.close();
      show(item, canvas, await probabilities(pixels));
    }

    async function classifyFiles(files) {
      say("Classifying " + files.length + " image" + (files.length === 1 ? "" : "s") + "…");
      for (const file of files) await classifyFile(file);
      say("Done: " + files.length + " image" + (files.length === 1 ? "" : "s") + ". Newest first.");
      root.dataset.classified = String(Number(root.dataset.classified || 0) + files.length);
    }

    for (const input of root.querySelectorAll("input[type=file]")) {
      input.disabled = false;
      input.addEventListener("change", () => classifyFiles(Array.from(input.files)));
    }
    const drop = root.querySelector(".dlc-drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("dlc-over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("dlc-over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("dlc-over");
      classifyFiles(Array.from(e.dataTransfer.files));
    });

    // Example photos from the validation set: the model never trained on them.
    const names = await (await fetch(base + "assets/classify/examples.json")).json();
    const gallery = root.querySelector(".dlc-examples");
    for (const name of names) {
      const button = el("button", { type: "button", class: "dlc-example", title: name });
      const img = el("img", { src: base + "assets/classify/examples/" + name, alt: "example photo " + name,
                              width: 56, height: 56 });
      button.append(img);
      button.addEventListener("click", async () => {
        const blob = await (await fetch(img.src)).blob();
        await classifyFiles([new File([blob], name, { type: "image/png" })]);
      });
      gallery.append(button);
    }

    // Drawing: white on black.
    const pad = root.querySelector(".dlc-pad");
    const pen = pad.getContext("2d");
    function clear() { pen.fillStyle = "#000"; pen.fillRect(0, 0, pad.width, pad.height); }
    clear();
    let drawing = false;
    function at(e) {
      const box = pad.getBoundingClientRect();
      return [(e.clientX - box.left) * pad.width / box.width, (e.clientY - box.top) * pad.height / box.height];
    }
    pad.addEventListener("pointerdown", (e) => {
      drawing = true;
      pad.setPointerCapture(e.pointerId);
      pen.beginPath();
      pen.moveTo(...at(e));
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      pen.lineTo(...at(e));
      pen.strokeStyle = "#fff";
      pen.lineWidth = pad.width / 12;
      pen.lineCap = pen.lineJoin = "round";
      pen.stroke();
    });
    pad.addEventListener("pointerup", () => { drawing = false; });
    root.querySelector(".dlc-clear").addEventListener("click", clear);
    root.querySelector(".dlc-classify-drawing").addEventListener("click", async () => {
      const item = row("your drawing");
      const { pixels, canvas } = pixelsOf(pad, pad.width, pad.height, info.size);
      show(item, canvas, await probabilities(pixels));
    });
    for (const button of root.querySelectorAll("button")) button.disabled = false;
    root.dataset.state = "ready";
  }

  function start() {
    for (const root of document.querySelectorAll(".dlc-classify")) mount(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
