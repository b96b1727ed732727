// An operator's reviewed calls: the score, each criterion, the comment, and the call to hear.

import { $, _, api, el, explain, say, whoAmI } from "./shared.js";
import { criterionLabel, outcome, percent, player, whom } from "./qc_words.js";
import { MY_ZONE, clockIn } from "./time.js";

function review(item) {
  const scores = item.qc_form.flatMap((criterion) => [
    el("dt", {}, criterionLabel(criterion)),
    el("dd", {}, `${item.scores[criterion.code] ?? _("—")} / ${criterion.max}`),
  ]);
  const when = clockIn(MY_ZONE, new Date(item.at), true);
  const heading = el("h2", {}, `${when} · ${whom(item.contact)} · ${item.campaign} · `,
    outcome(item), " · ", el("strong", { class: "score" }, percent(item.score)));
  return el("li", { class: "card", "data-attempt": item.attempt_id },
    heading,
    item.recording ? player(item.recording, `player-${item.attempt_id}`) : "",
    el("dl", { class: "scores" }, scores),
    el("p", { class: "comment" }, el("strong", {}, `${_("Comment")}: `), item.comment || _("—")));
}

whoAmI(["operator"]).then(async (me) => {
  if (!me) return;
  const items = await api("GET", "/me/reviews");
  $("reviews").replaceChildren(...items.map(review));
  $("empty").hidden = items.length > 0;
}).catch((refusal) => say(explain(refusal)));
