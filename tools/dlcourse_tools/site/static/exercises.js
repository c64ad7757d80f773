/* dlcourse: an exercise's hints, one click at a time, and its worked solution only on a last click of
 * its own. Each .dlx block holds hidden .dlx-step elements in order (hints, then the solution); one
 * button after the block reveals the next and says what it will show. */
(function () {
  "use strict";
  function label(step, steps) {
    if (step.classList.contains("dlx-solution")) return "Show the worked solution";
    var hints = steps.filter(function (s) { return s.classList.contains("dlx-hint"); });
    return "Show hint " + (hints.indexOf(step) + 1) + " of " + hints.length;
  }
  document.querySelectorAll(".dlx").forEach(function (block) {
    var steps = Array.prototype.slice.call(block.querySelectorAll(".dlx-step"));
    if (!steps.length) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "md-button dlx-next";
    button.textContent = label(steps[0], steps);
    button.addEventListener("click", function () {
      var next = steps.filter(function (s) { return s.hidden; })[0];
      if (!next) return;
      next.hidden = false;
      var after = steps.filter(function (s) { return s.hidden; })[0];
      if (after) {
        button.textContent = label(after, steps);
      } else {
        next.setAttribute("tabindex", "-1");
        button.remove();
        next.focus();
      }
    });
    block.appendChild(button);
  });
})();
