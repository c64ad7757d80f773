/* dlcourse quiz: one small renderer for the site, the notebooks and the review page.
 * DLQuiz.grade mirrors src/dlcourse/quiz/grading.py; tests/grading_cases.yml keeps them equal.
 * Progress lives in localStorage under one key; anything unreadable there is set aside, not trusted. */
(function (root) {
  "use strict";
  if (root.DLQuiz) return;

  // ---- grading (the same rule as grading.py) ------------------------------------------------
  var NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
  var WS = "[ \\t\\n\\r\\f\\v\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]";
  var SPACES = new RegExp(WS + "+", "g");
  var IS_WS = new RegExp("^" + WS + "$");
  var MAX_ANSWER = 500; // characters; a longer answer is not graded
  var MAX_EXPONENT = 400; // numbers are compared exactly as typed, in decimal, up to 1e±400
  var PUNCT = /\p{P}/gu;
  var MESSAGES = {
    "correct": "Correct.",
    "wrong-choice": "Not this one.",
    "missing-choices": "Right so far, but some correct choices are missing.",
    "extra-choices": "You picked every correct choice, and some wrong ones too.",
    "missing-and-extra": "Some of your choices are wrong and some correct ones are missing.",
    "outside-tolerance": "Not quite.",
    "not-accepted": "Not the answer we were looking for.",
    "no-answer": "No answer given yet.",
    "unknown-choice": "That is not one of the choices.",
    "not-a-number": "That is not a number: type digits, like 4, 4.0 or 4e0.",
    "too-long": "That answer is too long: keep it under " + MAX_ANSWER + " characters."
  };

  function verdict(status, reason, feedback) {
    return { status: status, reason: reason, feedback: feedback || [], message: MESSAGES[reason] };
  }
  function strip(s) { // one pass from each end
    var start = 0, end = s.length;
    while (start < end && IS_WS.test(s[start])) start++;
    while (end > start && IS_WS.test(s[end - 1])) end--;
    return s.slice(start, end);
  }
  // Exact decimals {n: BigInt digits, e: exponent of 10}, as Python's Decimal in grading.py.
  function decimal(s) {
    var m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(s);
    var frac = m[3] || "";
    var digits = ((m[2] || "") + frac).replace(/^0+(?=.)/, "") || "0";
    return { n: BigInt(m[1] + digits), e: (m[4] ? parseInt(m[4], 10) : 0) - frac.length };
  }
  function adjusted(d) { return d.e + String(d.n < 0n ? -d.n : d.n).length - 1; }
  function align(a, b) {
    var e = Math.min(a.e, b.e);
    return [a.n * 10n ** BigInt(a.e - e), b.n * 10n ** BigInt(b.e - e)];
  }
  function within(value, answer, absTol, relTol) {
    var all = [value].concat([answer, absTol, relTol].map(function (x) { return decimal(String(x)); }));
    if (!isFinite(answer) || all.some(function (d) { return Math.abs(adjusted(d)) > MAX_EXPONENT; })) return false;
    var diff = align(value, all[1]), absAnswer = all[1].n < 0n ? -all[1].n : all[1].n;
    diff = { n: diff[0] - diff[1], e: Math.min(value.e, all[1].e) };
    if (diff.n < 0n) diff.n = -diff.n;
    var a = align(diff, all[2]);
    if (a[0] <= a[1]) return true;
    var r = align(diff, { n: all[3].n * absAnswer, e: all[3].e + all[1].e });
    return r[0] <= r[1];
  }
  function parseNumber(s) { s = strip(s); return NUMBER.test(s) ? decimal(s) : null; }
  function normalise(s) {
    s = s.normalize("NFKC").toLowerCase().replace(PUNCT, "").replace(SPACES, " ");
    return s.replace(/^ +| +$/g, "");
  }

  function grade(q, r) {
    try { return gradeUnsafe(q, r); } catch (e) { return verdict("invalid", "no-answer"); }
  }
  function gradeUnsafe(q, r) {
    var choices = q.choices || [];
    if (q.type === "single") {
      if (typeof r !== "string" || r === "") return verdict("invalid", "no-answer");
      var c = choices.filter(function (x) { return x.id === r; })[0];
      if (!c) return verdict("invalid", "unknown-choice");
      return verdict(c.correct ? "correct" : "incorrect", c.correct ? "correct" : "wrong-choice", [c.feedback]);
    }
    if (q.type === "multi") {
      if (!Array.isArray(r) || r.length === 0) return verdict("invalid", "no-answer");
      var ids = choices.map(function (x) { return x.id; });
      if (!r.every(function (x) { return typeof x === "string" && ids.indexOf(x) >= 0; })) {
        return verdict("invalid", "unknown-choice");
      }
      var picked = choices.filter(function (x) { return r.indexOf(x.id) >= 0; });
      var missing = choices.some(function (x) { return x.correct && picked.indexOf(x) < 0; });
      var extra = picked.some(function (x) { return !x.correct; });
      var reason = missing ? (extra ? "missing-and-extra" : "missing-choices") : (extra ? "extra-choices" : "correct");
      return verdict(reason === "correct" ? "correct" : "incorrect", reason,
        picked.map(function (x) { return x.feedback; }));
    }
    if (typeof r !== "string") return verdict("invalid", "no-answer");
    if (r.length > MAX_ANSWER) return verdict("invalid", "too-long");
    if (strip(r) === "") return verdict("invalid", "no-answer");
    if (q.type === "numeric") {
      var v = parseNumber(r);
      if (v === null) return verdict("invalid", "not-a-number");
      var tol = q.tolerance || {};
      var ok = within(v, q.answer, tol.abs || 0, tol.rel || 0);
      return verdict(ok ? "correct" : "incorrect", ok ? "correct" : "outside-tolerance");
    }
    var given = normalise(r);
    if (given === "") return verdict("invalid", "no-answer");
    var hit = (q.accept || []).some(function (a) { return normalise(a) === given; });
    hit = hit || (!!q.pattern && new RegExp("^(?:" + q.pattern + ")$", "u").test(given));
    return verdict(hit ? "correct" : "incorrect", hit ? "correct" : "not-accepted");
  }

  // ---- progress: Leitner boxes, the same rule as review.py ------------------------------------
  var KEY = "dlcourse.quiz.v1";
  var DAY = 86400000;
  var INTERVAL_DAYS = [0, 0, 1, 3, 7, 16]; // index = box; box 1 is due again at once
  var memory = null; // used when localStorage is unavailable

  // Cards live in maps without a prototype, so a question id such as "constructor" is just a key.
  function emptyState() { return { version: 1, cards: Object.create(null) }; }
  function has(map, key) { return Object.prototype.hasOwnProperty.call(map, key); }
  // The same rule as review.py's valid_card.
  function validCard(c) {
    return !!c && typeof c === "object" && !Array.isArray(c) && [1, 2, 3, 4, 5].indexOf(c.box) >= 0 &&
      typeof c.due === "number" && isFinite(c.due) && typeof c.lesson === "string" &&
      (c.last === "correct" || c.last === "incorrect");
  }
  var warned = false, mounted = [];
  function warn(el) {
    el.insertBefore(h("p", { "class": "dlq-storage-warning", role: "status", text:
      "Your progress cannot be saved in this browser (its storage is full or blocked): answers count " +
      "for this visit only." }), el.firstChild);
  }
  function cannotSave() { // tell the learner once, in every quiz on the page
    if (warned) return;
    warned = true;
    mounted.forEach(warn);
  }
  function track(el) { // a mounted quiz, progress or review element
    el.classList.add("dlq");
    mounted.push(el);
    if (warned) warn(el);
  }
  function storage() {
    try { var s = root.localStorage; s.getItem(KEY); return s; } catch (e) { cannotSave(); return null; }
  }
  function loadState() {
    if (warned && memory) return memory; // saving failed this visit: the browser's copy is behind
    var s = storage();
    if (!s) return memory || (memory = emptyState());
    var raw, data;
    try { raw = s.getItem(KEY); } catch (e) { cannotSave(); return memory || (memory = emptyState()); }
    if (raw === null) return memory || emptyState();
    try { data = JSON.parse(raw); } catch (e) { data = null; }
    if (!data || typeof data !== "object" || data.version !== 1 || !data.cards || typeof data.cards !== "object") {
      try { s.setItem(KEY + ".unreadable", raw); } catch (e) { /* keep going */ }
      var fresh = emptyState();
      saveState(fresh);
      return fresh;
    }
    var state = emptyState(), changed = false;
    Object.keys(data.cards).forEach(function (id) {
      if (!validCard(data.cards[id])) { changed = true; return; }
      var base = questionId(id); // cards of one variant (id-v2) are kept under the question's id
      if (base !== id) changed = true;
      if (!has(state.cards, base) || data.cards[id].due < state.cards[base].due) state.cards[base] = data.cards[id];
    });
    if (changed) saveState(state);
    return state;
  }
  // The same rule as review.py's question_id: question ids never end in -v<digits>, variant ids do.
  function questionId(id) { return id.replace(/-v[0-9]+$/, ""); }
  function saveState(state) {
    memory = state; // what this visit knows, whether or not the browser keeps it
    var s = storage();
    if (!s) return;
    try { s.setItem(KEY, JSON.stringify(state)); } catch (e) { cannotSave(); }
  }
  function schedule(card, status, now) {
    var box = status === "correct" ? Math.min((card ? card.box : 1) + 1, 5) : 1;
    return { box: box, due: now + INTERVAL_DAYS[box] * DAY, last: status };
  }
  function record(lesson, qid, status, now) {
    var state = loadState();
    var card = schedule(has(state.cards, qid) ? state.cards[qid] : null, status, now === undefined ? Date.now() : now);
    card.lesson = lesson;
    state.cards[qid] = card;
    saveState(state);
    return card;
  }
  function dueCards(now) {
    var cards = loadState().cards;
    now = now === undefined ? Date.now() : now;
    return Object.keys(cards).filter(function (id) { return cards[id].due <= now; })
      .sort(function (a, b) { return cards[a].box - cards[b].box || cards[a].due - cards[b].due; });
  }

  // ---- attempts: one variant of each question, kept until the learner starts again ------------
  var ATTEMPTS = "dlcourse.quiz.attempts.v1";
  var attemptMemory = Object.create(null); // used when storage fails

  function isStringMap(x) {
    return !!x && typeof x === "object" && !Array.isArray(x) &&
      Object.keys(x).every(function (k) { return typeof x[k] === "string"; });
  }
  function validAttempt(a) {
    var answersOk = !!a && !!a.answers && typeof a.answers === "object" && !Array.isArray(a.answers) &&
      Object.keys(a.answers).every(function (k) {
        var r = a.answers[k];
        return typeof r === "string" || (Array.isArray(r) && r.every(function (x) { return typeof x === "string"; }));
      });
    return answersOk && isStringMap(a.picks) && isStringMap(a.results);
  }
  function loadAttempts() {
    var s = storage(), raw = null, data = null;
    if (s) { try { raw = s.getItem(ATTEMPTS); } catch (e) { cannotSave(); } }
    if (raw === null || warned) return attemptMemory;
    try { data = JSON.parse(raw); } catch (e) { data = null; }
    var all = Object.create(null);
    if (!data || typeof data !== "object") {
      try { s.setItem(ATTEMPTS + ".unreadable", raw); } catch (e) { /* keep going */ }
      return all;
    }
    Object.keys(data).forEach(function (lesson) { if (validAttempt(data[lesson])) all[lesson] = data[lesson]; });
    return all;
  }
  function saveAttempt(lesson, attempt) {
    var all = loadAttempts();
    all[lesson] = attempt;
    attemptMemory = all;
    var s = storage();
    if (!s) return;
    try { s.setItem(ATTEMPTS, JSON.stringify(all)); } catch (e) { cannotSave(); }
  }
  // One variant per question: the one kept in `picks` if it still exists, else a random one, avoiding
  // the variant of `previous` (the last attempt) when there is another.
  function pickVariants(questions, picks, previous, random) {
    random = random || Math.random;
    var out = Object.create(null);
    questions.forEach(function (item) {
      var ids = item.variants.map(function (v) { return v.id; });
      if (picks && has(picks, item.id) && ids.indexOf(picks[item.id]) >= 0) { out[item.id] = picks[item.id]; return; }
      var fresh = ids.filter(function (id) { return !previous || id !== previous[item.id]; });
      var pool = fresh.length ? fresh : ids;
      out[item.id] = pool[Math.floor(random() * pool.length)];
    });
    return out;
  }
  function currentAttempt(quiz) {
    var saved = loadAttempts()[quiz.lesson];
    var attempt = saved || { picks: Object.create(null), answers: Object.create(null), results: Object.create(null) };
    var picks = pickVariants(quiz.questions, attempt.picks, null);
    var same = saved && Object.keys(picks).every(function (id) { return attempt.picks[id] === picks[id]; });
    if (!same) {
      quiz.questions.forEach(function (item) { // answers to a variant no longer shown are not kept
        if (attempt.picks[item.id] !== picks[item.id]) { delete attempt.answers[item.id]; delete attempt.results[item.id]; }
      });
      attempt.picks = picks;
      saveAttempt(quiz.lesson, attempt);
    }
    return attempt;
  }
  function newAttempt(quiz, previous) {
    var attempt = { picks: pickVariants(quiz.questions, null, previous.picks), answers: {}, results: {} };
    saveAttempt(quiz.lesson, attempt);
    return attempt;
  }
  function chosen(item, id) { return item.variants.filter(function (v) { return v.id === id; })[0]; }

  // ---- rendering ----------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "html") el.innerHTML = attrs[k]; else if (k === "text") el.textContent = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }

  function responseOf(box, q) {
    if (q.type === "single") {
      var on = box.querySelector("input:checked");
      return on ? on.value : "";
    }
    if (q.type === "multi") {
      return Array.prototype.map.call(box.querySelectorAll("input:checked"), function (x) { return x.value; });
    }
    return box.querySelector("input.dlq-input").value;
  }

  function setResponse(box, q, response) {
    if (q.type === "single" || q.type === "multi") {
      var wanted = [].concat(response);
      box.querySelectorAll("input").forEach(function (x) { x.checked = wanted.indexOf(x.value) >= 0; });
    } else {
      box.querySelector("input.dlq-input").value = response;
    }
  }

  // One question (a variant). `item` is the id progress is kept under; `saved` a response to show again.
  function renderQuestion(q, item, computed, index, total, opts, onGraded, saved) {
    var name = "dlq-" + opts.uid + "-" + q.id;
    var inputs;
    if (q.type === "single" || q.type === "multi") {
      inputs = h("div", { "class": "dlq-choices" }, q.choices.map(function (c) {
        var input = h("input", { type: q.type === "single" ? "radio" : "checkbox", name: name, value: c.id });
        return h("label", { "class": "dlq-choice" }, [input, h("span", { html: c.html })]);
      }));
    } else {
      inputs = h("input", { type: "text", "class": "dlq-input", "aria-label": "Your answer",
        autocomplete: "off", inputmode: q.type === "numeric" ? "decimal" : "text" });
    }
    var hint = q.type === "multi" ? h("p", { "class": "dlq-hint", text: "Select all that apply." }) : null;
    var button = h("button", { type: "button", "class": "md-button dlq-check", text: "Check" });
    var result = h("div", { "class": "dlq-result", role: "status", "aria-live": "polite" });
    var box = h("fieldset", { "class": "dlq-question", "data-qid": q.id, "data-item": item }, [
      h("legend", {}, [
        document.createTextNode((opts.label || "Question") + " " + (index + 1) + " of " + total),
        computed ? h("span", { "class": "dlq-computed", title: "Its numbers come from the course's code; " +
          "starting again gives new ones.", text: "computed" }) : null
      ]),
      h("div", { "class": "dlq-prompt", html: q.prompt }), hint, inputs, button, result
    ]);
    function check(again) {
      var response = responseOf(box, q);
      var v = grade(q, response);
      result.className = "dlq-result dlq-" + v.status;
      result.innerHTML = "";
      result.appendChild(h("p", { "class": "dlq-message", text: v.message }));
      if (v.feedback.length) {
        result.appendChild(h("ul", { "class": "dlq-feedback" }, v.feedback.map(function (f) {
          return h("li", { html: f });
        })));
      }
      if (v.status !== "invalid") {
        result.appendChild(h("div", { "class": "dlq-explanation", html: q.explanation }));
        if (q.link) result.appendChild(h("a", { href: resolve(q.link, opts.root), text: "Read the section again" }));
        onGraded(item, v, response, again === true);
      }
    }
    button.addEventListener("click", check);
    if (q.type === "numeric" || q.type === "text") {
      inputs.addEventListener("keydown", function (e) { if (e.key === "Enter") check(); });
    }
    if (saved !== undefined) { setResponse(box, q, saved); check(true); }
    return box;
  }

  function resolve(link, base) {
    if (!base || /^(#|[a-z]+:)/.test(link)) return link;
    return base + link;
  }

  function scoreLine(where) {
    var bar = h("progress", { "class": "dlq-score-bar", max: "1", value: "0", "aria-hidden": "true" });
    return h("div", { "class": "dlq-score-line dlq-score-" + where }, [
      h("p", { "class": "dlq-score", role: where === "top" ? "status" : null, "aria-live": "polite" }), bar
    ]);
  }

  var uids = 0;
  // questions: [{item, computed, q}] in order; attempt: where responses and results are kept (null: not kept).
  function mountQuestions(el, questions, opts, attempt) {
    opts.uid = ++uids;
    var results = Object.create(null);
    var lines = [scoreLine("top"), scoreLine("bottom")];
    function update() {
      var ids = Object.keys(results);
      var right = ids.filter(function (id) { return results[id] === "correct"; }).length;
      var text = "Score: " + right + " of " + questions.length + " correct (" + ids.length + " answered).";
      lines.forEach(function (line) {
        line.querySelector(".dlq-score").textContent = text;
        var bar = line.querySelector("progress");
        bar.max = String(questions.length);
        bar.value = String(ids.length);
      });
      if (opts.onScore) opts.onScore(right, ids.length, questions.length);
    }
    el.innerHTML = "";
    el.appendChild(lines[0]);
    questions.forEach(function (x, i) {
      var saved = attempt && has(attempt.answers, x.item) ? attempt.answers[x.item] : undefined;
      var onGraded = function (item, v, response, again) {
        results[item] = v.status;
        if (!again) {
          record(x.q.lesson || opts.lesson, item, v.status);
          if (attempt) {
            attempt.answers[item] = response;
            attempt.results[item] = v.status;
            saveAttempt(opts.lesson, attempt);
          }
        }
        update();
      };
      el.appendChild(renderQuestion(x.q, x.item, x.computed, i, questions.length, opts, onGraded, saved));
    });
    el.appendChild(lines[1]);
    if (opts.onRestart) {
      el.appendChild(h("p", { "class": "dlq-restart" }, [
        h("button", { type: "button", "class": "md-button dlq-again", text: "Start again with new questions" })
      ]));
      el.querySelector(".dlq-again").addEventListener("click", opts.onRestart);
    }
    update();
  }

  // A lesson's quiz. opts.collapsed: a short summary with the score, the quiz one click away (lesson pages).
  function mount(el, quiz, opts) {
    opts = opts || {};
    opts.lesson = quiz.lesson;
    var target = el;
    if (opts.collapsed) {
      var status = h("span", { "class": "dlq-cta-score" });
      var summary = h("summary", { "class": "dlq-cta-summary" }, [
        h("strong", { text: "Check yourself: " + quiz.questions.length + " questions. " }), status
      ]);
      target = h("div", { "class": "dlq-cta-body" });
      // On the site's lesson page the quiz page is a relative link; elsewhere (Jupyter, Colab) the site's.
      var onSite = typeof location !== "undefined" && /\/lessons\/[0-9]{2}_[^/]+\/$/.test(location.pathname);
      var href = onSite && quiz.url ? "../../" + quiz.url : opts.pageUrl;
      var links = href ? h("p", { "class": "dlq-cta-page" }, [
        h("a", { href: href, text: "Open the quiz on its own page" })
      ]) : null;
      el.innerHTML = "";
      el.appendChild(h("details", { "class": "dlq-cta" }, [summary, links, target]));
      opts.onScore = function (right, answered, total) {
        status.textContent = answered ? "Your score: " + right + " of " + total + " correct (" + answered +
          " answered). Open to continue." : "Open the quiz here.";
      };
    }
    function render(attempt) {
      var questions = quiz.questions.map(function (item) {
        return { item: item.id, computed: item.computed, q: chosen(item, attempt.picks[item.id]) };
      });
      opts.onRestart = function () { render(newAttempt(quiz, attempt)); };
      mountQuestions(target, questions, opts, attempt);
    }
    render(currentAttempt(quiz));
    track(el);
  }

  function mountReview(el, quizzes, opts) {
    opts = opts || {};
    var byId = Object.create(null);
    quizzes.forEach(function (quiz) {
      quiz.questions.forEach(function (item) {
        item.variants.forEach(function (v) { v.lesson = quiz.lesson; });
        byId[item.id] = item;
      });
    });
    var due = dueCards().filter(function (id) { return byId[id]; }).map(function (id) { return byId[id]; });
    if (!due.length) {
      var cards = loadState().cards;
      var next = Math.min.apply(null, Object.keys(cards).map(function (id) { return cards[id].due; }));
      el.innerHTML = "";
      el.appendChild(h("p", { "class": "dlq-empty", text: isFinite(next)
        ? "Nothing is due. Next review: " + new Date(next).toLocaleDateString() + "."
        : "Nothing to review yet: take a lesson's quiz first; the questions you answer come back here." }));
      track(el);
      return;
    }
    opts.label = "Review";
    var picks = pickVariants(due, null, null); // a fresh variant of each computed question
    mountQuestions(el, due.map(function (item) {
      return { item: item.id, computed: item.computed, q: chosen(item, picks[item.id]) };
    }), opts, null);
    track(el);
  }

  function progress(index) {
    var cards = loadState().cards;
    return index.lessons.map(function (l) {
      var right = l.ids.filter(function (id) { return cards[id] && cards[id].last === "correct"; }).length;
      var seen = l.ids.filter(function (id) { return cards[id]; }).length;
      return { lesson: l.lesson, title: l.title, url: l.url, total: l.ids.length, correct: right, answered: seen };
    });
  }

  function mountProgress(el, index, base) {
    el.innerHTML = "";
    el.appendChild(h("ul", { "class": "dlq-progress-list" }, progress(index).map(function (p) {
      var bar = h("progress", { max: String(p.total), value: String(p.correct),
        "aria-label": "Lesson " + p.lesson + " quiz progress" });
      return h("li", { "data-lesson": p.lesson }, [
        h("a", { href: resolve(p.url, base), text: p.lesson + " · " + p.title }), bar,
        h("span", { "class": "dlq-count", text: p.correct + " / " + p.total + " correct" })
      ]);
    })));
    track(el);
  }

  // ---- site glue: mount points written by the site's hook -------------------------------------
  function getJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }
  function fail(el, err) {
    el.textContent = "The quiz could not be loaded (" + err.message + "). Reload the page to try again.";
  }
  function boot() {
    document.querySelectorAll("[data-dlq-quiz]").forEach(function (el) {
      getJSON(el.getAttribute("data-dlq-quiz")).then(function (quiz) {
        mount(el, quiz, { root: el.getAttribute("data-dlq-root") });
      }).catch(function (e) { fail(el, e); });
    });
    document.querySelectorAll("[data-dlq-index]").forEach(function (el) {
      var indexUrl = new URL(el.getAttribute("data-dlq-index"), location.href);
      var base = el.getAttribute("data-dlq-root");
      getJSON(indexUrl).then(function (index) {
        if (el.hasAttribute("data-dlq-progress")) return mountProgress(el, index, base);
        return Promise.all(index.lessons.map(function (l) { return getJSON(new URL(l.data, indexUrl)); }))
          .then(function (quizzes) { mountReview(el, quizzes, { root: base }); });
      }).catch(function (e) { fail(el, e); });
    });
  }
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
  }

  root.DLQuiz = {
    grade: grade, normalise: normalise, parseNumber: parseNumber, schedule: schedule, record: record,
    loadState: loadState, dueCards: dueCards, progress: progress, mount: mount, mountReview: mountReview,
    mountProgress: mountProgress, validCard: validCard, questionId: questionId, pickVariants: pickVariants,
    KEY: KEY, ATTEMPTS: ATTEMPTS, INTERVAL_DAYS: INTERVAL_DAYS
  };
})(typeof window !== "undefined" ? window : globalThis);
