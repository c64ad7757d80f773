// Runs the browser renderer's pure functions under node: reads {grade: [[question, response]...],
// valid: [card...], schedule: [[status...]...], pick: [[questions, picks, previous, randoms]...],
// questionId: [id...]} as JSON on stdin, prints the results as JSON.
const path = require("node:path");
require(path.join(__dirname, "../../src/dlcourse/quiz/static/quiz.js"));
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const Q = globalThis.DLQuiz;
const out = {
  grade: (input.grade || []).map(([q, r]) => Q.grade(q, r)),
  valid: (input.valid || []).map((card) => Q.validCard(card)),
  schedule: (input.schedule || []).map((statuses) => {
    let card = null;
    return statuses.map((s, i) => (card = Q.schedule(card, s, 1000 * i)));
  }),
  pick: (input.pick || []).map(([questions, picks, previous, randoms]) => {
    let i = 0;
    return Q.pickVariants(questions, picks, previous, () => randoms[i++]);
  }),
  questionId: (input.questionId || []).map((id) => Q.questionId(id)),
};
process.stdout.write(JSON.stringify(out));
