// The manager's questionnaires: each one's status, moved on by hand.

import {
  $, DISPOSITIONS, _, api, el, explain, fieldLabel, money, say, whoAmI,
} from "./shared.js";
import { clearErrors, showRefusal } from "./forms.js";
import { MY_ZONE, clockIn } from "./time.js";

const STATUSES = {
  new: _("new"),
  in_progress: _("in progress"),
  first_order: _("first order"),
  lost: _("lost"),
};

// The steps the page offers from each status; the API still decides and refuses the rest.
const NEXT_STATUS = { new: ["in_progress"], in_progress: ["first_order", "lost"] };
const template = $("status-form");

function statusForm(q) {
  const form = template.content.firstElementChild.cloneNode(true);
  form.dataset.id = q.id;
  const select = form.elements.status;
  select.id = `status-${q.id}`;
  for (const option of [...select.options]) {
    if (!NEXT_STATUS[q.status]?.includes(option.value)) option.remove();
  }
  const sync = () => {
    for (const label of form.querySelectorAll("[data-for]")) {
      const on = label.dataset.for === select.value;
      label.hidden = !on;
      label.querySelector("input").disabled = !on;
    }
  };
  select.addEventListener("change", sync);
  sync();
  return form;
}

// Answers under the campaign's labels, a yes/no as a mark, the code only where none is known.
function answerList(answers, labels) {
  return Object.entries(answers || {}).flatMap(([name, value]) => [
    el("dt", {}, fieldLabel(name, labels?.[name])),
    el("dd", {}, typeof value === "boolean" ? (value ? _("yes") : _("no")) : String(value))]);
}

// A warm call from another number of the company, added to this questionnaire.
function addition(a, labels) {
  const answers = answerList(a.answers, labels);
  return el("div", { class: "addition" },
    el("p", {}, el("strong", {}, _("Another number of the company called")), " ",
      a.phone ? el("a", { href: `tel:${a.phone}` }, a.phone) : "", " · ",
      el("time", { datetime: a.at }, `${clockIn(MY_ZONE, new Date(a.at), true)} (${MY_ZONE})`)),
    el("dl", { class: "answers" }, answers),
    a.notes ? el("p", { class: "hint" }, a.notes) : "");
}

// The contact's last attempts, newest first, each with the operator's notes.
function pastCalls(history) {
  return el("ol", { class: "history" }, history.map((h) => el("li", {},
    el("time", { datetime: h.at }, clockIn(MY_ZONE, new Date(h.at), true)), " ",
    DISPOSITIONS[h.disposition] ?? h.disposition, h.notes ? ` — ${h.notes}` : "")));
}

function row(q) {
  const answers = answerList(q.answers, q.labels);
  if (q.notes) {
    answers.push(el("dt", {}, _("Operator's notes")), el("dd", { class: "notes" }, q.notes));
  }
  if (q.history?.length) {
    answers.push(el("dt", {}, _("Last calls")), el("dd", {}, pastCalls(q.history)));
  }
  const late = Boolean(q.overdue);
  const status = el("td", { "data-label": _("Status") },
    el("span", { "data-status": q.status }, STATUSES[q.status] ?? q.status));
  if (late) status.append(" ", el("strong", { class: "overdue" }, _("overdue")));
  if (q.amount !== null && q.amount !== undefined) {
    status.append(el("br"), el("span", { class: "closed" },
      _("Order of {amount}", { amount: money(q.amount) })));
  }
  if (q.reason) {
    status.append(el("br"), el("span", { class: "closed" }, _("Lost: {reason}", { reason: q.reason })));
  }
  const created = new Date(q.created_at);
  return el("tr", { "data-id": q.id, class: late ? "late" : false },
    el("td", { "data-label": _("Received") }, el("time", { datetime: q.created_at },
      `${clockIn(MY_ZONE, created, true)} (${MY_ZONE})`)),
    el("th", { scope: "row" }, q.company || _("—")),
    el("td", { "data-label": _("Contact") }, q.contact?.name || "", el("br"),
      q.contact?.phone ? el("a", { href: `tel:${q.contact.phone}` }, q.contact.phone) : ""),
    el("td", { "data-label": "" }, el("dl", { class: "answers" }, answers),
      ...(q.additions || []).map((a) => addition(a, q.labels))),
    status,
    el("td", { "data-label": "" }, NEXT_STATUS[q.status] ? statusForm(q) : ""));
}

async function load() {
  const list = await api("GET", "/questionnaires");
  const tbody = $("questionnaires");
  if (!tbody.contains(document.activeElement)) tbody.replaceChildren(...list.map(row));
  $("empty").hidden = list.length > 0;
  // None: the words alone, not a table's heads over no rows.
  $("list").hidden = list.length === 0;
}

$("questionnaires").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const json = { status: form.elements.status.value };
  if (json.status === "first_order") json.amount = form.elements.amount.value;
  if (json.status === "lost") json.reason = form.elements.reason.value;
  try {
    await api("POST", `/questionnaires/${form.dataset.id}/status`, { json });
    say(_("Status changed."));
    document.activeElement.blur();
    await load();
  } catch (refusal) {
    // Beside the amount or the reason, in the page's words (the banner over the list read
    // "amount: required, above 0" in the service's English).
    if (!refusal.body) throw refusal;
    showRefusal(form, refusal);
  }
});

const loop = () => load().catch((refusal) => say(explain(refusal)))
  .finally(() => setTimeout(loop, 15000));
whoAmI(["manager", "supervisor", "admin"]).then((me) => {
  if (!me) return;
  // The development and key-account desks keep accounts; the acquisition desk hands them on.
  $("accounts-link").hidden = me.role === "manager" && me.user.desk === "acquisition";
  loop();
})
  .catch((refusal) => say(explain(refusal)));
