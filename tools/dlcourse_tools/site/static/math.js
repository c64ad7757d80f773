/* dlcourse: typeset a page's formulas with KaTeX (vendored; loaded, deferred, just before this script).
 * Docs pages: pymdownx.arithmatex wraps each formula in .arithmatex as \( \) or \[ \].
 * Lesson pages: the notebooks' markdown cells keep $...$ and $$...$$, as Jupyter and Colab show them.
 * Code cells and outputs are never touched. Sets data-math-ready on <html> when done. */
(function () {
  "use strict";
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false }
    ],
    throwOnError: false
  };
  document.querySelectorAll(".arithmatex, .jp-MarkdownCell .jp-RenderedMarkdown").forEach(function (el) {
    window.renderMathInElement(el, options);
  });
  // A display formula wider than the screen scrolls sideways: give it a tab stop so that the keyboard
  // can scroll it too (axe: scrollable-region-focusable), and only then.
  function focusWide() {
    document.querySelectorAll(".katex-display").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) el.setAttribute("tabindex", "0");
      else el.removeAttribute("tabindex");
    });
  }
  focusWide();
  window.addEventListener("resize", focusWide);
  document.documentElement.setAttribute("data-math-ready", "1");
})();
