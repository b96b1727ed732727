// The manager's questionnaires: each one's status, moved on by hand.

import { $, _, api, el, explain, say, whoAmI } from "./shared.js";
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

function row(q) {
  const answers = Object.entries(q.answers || {}).flatMap(
    ([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))]);
  const late = Boolean(q.overdue);
  const status = el("td", { "data-status": q.status }, STATUSES[q.status] ?? q.status);
  if (late) status.append(" ", el("strong", { class: "overdue" }, _("overdue")));
  const created = new Date(q.created_at);
  return el("tr", { "data-id": q.id, class: late ? "late" : false },
    el("td", {}, el("time", { datetime: q.created_at },
      `${clockIn(MY_ZONE, created, true)} (${MY_ZONE})`)),
    el("th", { scope: "row" }, q.company || _("—")),
    el("td", {}, q.contact?.name || "", el("br"),
      q.contact?.phone ? el("a", { href: `tel:${q.contact.phone}` }, q.contact.phone) : ""),
    el("td", {}, el("dl", { class: "answers" }, answers)),
    status,
    el("td", {}, NEXT_STATUS[q.status] ? statusForm(q) : ""));
}

async function load() {
  const list = await api("GET", "/questionnaires");
  const tbody = $("questionnaires");
  if (!tbody.contains(document.activeElement)) tbody.replaceChildren(...list.map(row));
  $("empty").hidden = list.length > 0;
}

$("questionnaires").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!form.reportValidity()) return;
  const json = { status: form.elements.status.value };
  if (json.status === "first_order") json.amount = form.elements.amount.value;
  if (json.status === "lost") json.reason = form.elements.reason.value;
  try {
    await api("POST", `/questionnaires/${form.dataset.id}/status`, { json });
    say(_("Status changed."));
    document.activeElement.blur();
    await load();
  } catch (refusal) {
    say(explain(refusal));
  }
});

const loop = () => load().catch((refusal) => say(explain(refusal)))
  .finally(() => setTimeout(loop, 15000));
whoAmI(["manager", "supervisor", "admin"]).then((me) => { if (me) loop(); })
  .catch((refusal) => say(explain(refusal)));
