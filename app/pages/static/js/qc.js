// Quality control: the calls sampled for review; listen, score every criterion, comment.
// Keyboard first: J/K move through the queue, Space plays or pauses, ←/→ seek 5 s, a digit
// scores the focused criterion and moves to the next, Ctrl+Enter saves.

import { $, OBJECTIONS, _, api, el, explain, say, warn, whoAmI } from "./shared.js";
import { criterionLabel, outcome, percent, seconds, whom } from "./qc_words.js";
import { MY_ZONE, clockIn } from "./time.js";

const state = { calls: [], current: null, saving: false };
const player = $("player");
// Two reviewers on one call: the second to save is told, and the call leaves its queue.
const REVIEWED_BY_ANOTHER = _("Someone else has already reviewed this call: your scores were " +
  "not saved, and the call is off your queue.");

function item(call, index) {
  const button = el("button", { type: "button", "data-index": index,
    "data-attempt": call.attempt_id },
  el("strong", {}, call.operator.name || call.operator.login), " · ",
  clockIn(MY_ZONE, new Date(call.at), true), el("br"), whom(call.contact), el("br"),
  el("span", { class: "hint" }, `${outcome(call)} · ${seconds(call.talk_seconds)}`));
  button.addEventListener("click", () => choose(index));
  return el("li", { "aria-current": state.current === index ? "true" : false }, button);
}

function showQueue() {
  $("queue").replaceChildren(...state.calls.map(item));
  $("queue-empty").hidden = state.calls.length > 0;
  $("queue-count").textContent = state.calls.length ? `(${state.calls.length})` : "";
}

function scoreField(criterion, index) {
  const id = `score-${criterion.code}`;
  const input = el("input", { id, name: criterion.code, type: "number", inputmode: "numeric",
    min: 0, max: criterion.max, step: 1, required: true, "data-index": index });
  input.addEventListener("input", () => {
    showTotal();
    // A whole score typed (no longer score starts with it: 0 never does, "1" may start "10"):
    // on to the next criterion, the comment after the last.
    const typed = Number(input.value);
    if (input.value !== "" && (typed === 0 || typed * 10 > criterion.max)) {
      const next = $("criteria").querySelectorAll("input")[index + 1] ?? $("comment");
      next.focus();
    }
  });
  return el("p", { class: "criterion" },
    el("label", { for: id }, criterionLabel(criterion),
      el("span", { class: "hint" }, ` (0–${criterion.max}, ×${criterion.weight})`)),
    input);
}

function showTotal() {
  const call = state.calls[state.current];
  if (!call) return;
  let got = 0;
  let most = 0;
  for (const criterion of call.qc_form) {
    const value = $(`score-${criterion.code}`).value;
    most += Number(criterion.weight);
    if (value !== "") got += Number(criterion.weight) * Number(value) / criterion.max;
  }
  $("total").textContent = `${_("Weighted score")}: ${percent(most ? 100 * got / most : 0)}`;
}

function choose(index) {
  if (!state.calls.length) {
    state.current = null;
    $("call").hidden = true;
    player.removeAttribute("src");
    showQueue();
    return;
  }
  state.current = Math.max(0, Math.min(index, state.calls.length - 1));
  const call = state.calls[state.current];
  $("call").hidden = false;
  $("call-operator").textContent = call.operator.name || call.operator.login;
  $("call-contact").textContent = whom(call.contact);
  $("call-campaign").textContent = call.campaign.name;
  $("call-at").textContent = `${clockIn(MY_ZONE, new Date(call.at), true)} (${MY_ZONE})`;
  $("call-outcome").textContent = outcome(call);
  $("call-talk").textContent = seconds(call.talk_seconds);
  $("call-notes").textContent = call.notes || _("—");
  if (call.recording) player.src = call.recording.url;
  else player.removeAttribute("src");
  $("criteria").replaceChildren(...call.qc_form.map(scoreField));
  $("comment").value = "";
  showTotal();
  showQueue();
  $("criteria").querySelector("input")?.focus();
}

// The queue as the service has it now; the call shown stays chosen while it waits.
async function loadQueue() {
  const shown = state.calls[state.current]?.attempt_id;
  state.calls = await api("GET", "/qc/queue");
  const still = state.calls.findIndex((call) => call.attempt_id === shown);
  choose(still >= 0 ? still : state.current ?? 0);
}

// The call leaves the queue; the one after it is chosen.
function drop(call) {
  player.pause();
  state.calls = state.calls.filter((queued) => queued.attempt_id !== call.attempt_id);
  choose(state.current);
}

// Each cell names its column, for a phone's width, where a row stacks into a list of facts.
function reportRow(line) {
  const labels = [...document.querySelectorAll("#report-table thead th")].map((th) => th.textContent);
  const objections = Object.entries(line.objections).map(([code, handled]) =>
    `${OBJECTIONS[code] ?? code}: ${handled.handled_well} / ${handled.handled_badly}`);
  return el("tr", {},
    el("th", { scope: "row" }, line.name || line.login),
    el("td", { "data-label": labels[1] }, String(line.reviews)),
    el("td", { "data-label": labels[2] }, percent(line.score)),
    el("td", { "data-label": labels[3] }, objections.join("; ") || _("—")));
}

async function loadReport() {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: MY_ZONE }).format(new Date());
  const query = new URLSearchParams({ from: today, to: today, tz: MY_ZONE });
  const lines = await api("GET", `/reports/qc?${query}`);
  $("report").replaceChildren(...lines.map(reportRow));
  $("report-empty").hidden = lines.length > 0;
  $("report-table").hidden = lines.length === 0;
}

async function save() {
  const call = state.calls[state.current];
  const form = $("review");
  // One save at a time: a second Ctrl+Enter would be refused as reviewed by someone else.
  if (!call || state.saving || !form.reportValidity()) return;
  const scores = {};
  for (const criterion of call.qc_form) scores[criterion.code] = Number(form.elements[criterion.code].value);
  state.saving = true;
  try {
    await api("POST", `/attempts/${call.attempt_id}/qc`,
      { json: { scores, comment: $("comment").value } });
    say(_("Review saved."));
    drop(call);
  } catch (refusal) {
    if (refusal.code !== "already_reviewed") {
      say(explain(refusal));
      return;
    }
    warn(REVIEWED_BY_ANOTHER);
    drop(call);
    // Others' reviews change the queue and its count too: ask for both again.
    await loadQueue();
  } finally {
    state.saving = false;
  }
  await loadReport();
}

$("review").addEventListener("submit", (event) => {
  event.preventDefault();
  save();
});

function onKey(event) {
  if (event.key === "Enter" && event.ctrlKey) {
    event.preventDefault();
    save();
    return;
  }
  const typing = event.target.closest?.("textarea, input:not([type=number]), select");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  if ((key === "j" || key === "k") && state.calls.length) {
    event.preventDefault();
    choose((state.current ?? 0) + (key === "j" ? 1 : -1));
  } else if (key === " " && !event.target.closest?.("button, audio") && player.src) {
    event.preventDefault();
    if (player.paused) player.play(); else player.pause();
  } else if ((key === "arrowleft" || key === "arrowright") && player.src) {
    event.preventDefault();
    const step = key === "arrowleft" ? -5 : 5;
    player.currentTime = Math.max(0, player.currentTime + step);
  }
}

document.addEventListener("keydown", onKey);
whoAmI(["supervisor", "admin"]).then(async (me) => {
  if (!me) return;
  await loadQueue();
  await loadReport();
}).catch((refusal) => say(explain(refusal)));
