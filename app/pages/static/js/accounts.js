// The MRK's and KAM's accounts, by stage: turnover against plan, orders, hand-offs.

import {
  $, STAGES, _, api, el, explain, money, newKey, plainMoney, say, whoAmI,
} from "./shared.js";
import { clearErrors, page, showRefusal } from "./forms.js";
import { MY_ZONE, clockIn } from "./time.js";

function cloneForm(id, a) {
  const form = $(id).content.firstElementChild.cloneNode(true);
  form.dataset.id = a.id;
  form.dataset.stage = a.stage;
  for (const input of form.querySelectorAll("input")) input.id = `${input.name}-${a.id}`;
  return form;
}

// Turnover against the plan in force: the figures and a bar, full at the plan.
function progress(a) {
  const share = Number(a.plan) ? Math.min(100, (100 * Number(a.turnover)) / Number(a.plan)) : 0;
  return el("div", {},
    el("span", { class: "turnover" }, `${money(a.turnover)} / ${money(a.plan)}`),
    el("progress", { max: "100", value: String(Math.round(share)),
      "aria-label": _("Plan done: {share}%", { share: Math.round(share) }) }),
    a.plan_volume === null ? el("small", { class: "hint" }, _("the usual plan")) : "");
}

// The service's reasons for a hand-off in words; one it does not know shows as sent. The
// questionnaire's id ends at a ";": taken with it, the wait after it stayed in English.
const REASONS = [
  [/^first order ([\d.]+) from questionnaire [^\s;]+/,
    (m) => _("first order of {amount}", { amount: money(m[1]) })],
  [/^turnover ([\d.]+) reached the plan ([\d.]+)/,
    (m) => _("turnover {turnover} reached the plan {plan}",
      { turnover: money(m[1]), plan: money(m[2]) })],
  [/^turnover ([\d.]+) reached the strategic threshold ([\d.]+)/,
    (m) => _("turnover {turnover} reached the strategic threshold {threshold}",
      { turnover: money(m[1]), threshold: money(m[2]) })],
  [/^marked strategic by a supervisor/, () => _("marked strategic by a supervisor")],
  [/^an MRK has room/, () => _("a manager had room")],
  [/^the manager was deactivated/, () => _("the manager was deactivated")],
];

const WAITING = {
  "; every MRK is full, waiting": _("every manager of the desk is full, waiting"),
  "; no active manager at the desk yet": _("no active manager at the desk yet"),
};

function reasonWords(reason) {
  for (const [pattern, words] of REASONS) {
    const m = reason.match(pattern);
    if (!m) continue;
    const rest = reason.slice(m[0].length);
    return rest ? `${words(m)}; ${WAITING[rest] ?? rest.replace(/^; /, "")}` : words(m);
  }
  return reason;
}

function handoffs(a) {
  return el("ol", { class: "history" }, (a.handoffs || []).map((h) => el("li", {},
    el("time", { datetime: h.at }, clockIn(MY_ZONE, new Date(h.at), true)), " ",
    // The opening came from no stage: its stage alone.
    h.from_stage ? `${STAGES[h.from_stage] ?? h.from_stage} → ` : "",
    STAGES[h.to_stage] ?? h.to_stage, h.reason ? ` — ${reasonWords(h.reason)}` : "")));
}

// The managers by id, for the staff, who read every desk's accounts; a manager reads its own.
let managers = null;

// Who holds the account, by name, the login on hover; an account no manager holds yet waits.
function holder(a) {
  if (!a.manager_id) return el("span", { class: "hint" }, _("waiting for a manager"));
  const m = managers.get(a.manager_id);
  if (!m) return el("span", { title: a.manager_id }, `${a.manager_id.slice(0, 8)}…`);
  return el("span", { title: m.login }, m.name);
}

function account(a) {
  const plan = cloneForm("plan-form", a);
  if (a.plan_volume !== null) plan.elements.plan_volume.value = plainMoney(a.plan_volume);
  return el("tr", { "data-id": a.id },
    el("th", { scope: "row" }, a.company || _("—"),
      a.strategic ? el("small", { class: "hint" }, " ", _("strategic")) : ""),
    managers ? el("td", { "data-label": _("Manager"), class: "holder" }, holder(a)) : "",
    el("td", { "data-label": _("Turnover") }, progress(a)),
    el("td", { "data-label": _("Orders"), class: "orders" }, String(a.orders)),
    el("td", { "data-label": _("Hand-offs") }, handoffs(a)),
    el("td", { "data-label": "" }, cloneForm("order-form", a), plan));
}

async function load() {
  const list = await api("GET", "/accounts");
  const full = await Promise.all(list.map((a) => api("GET", `/accounts/${a.id}`)));
  if (managers) {
    const { items } = await page("/users", { role: "manager" }, 1000, 0);
    managers = new Map(items.map((u) => [u.id, u]));
  }
  const box = $("stages");
  if (box.contains(document.activeElement) && box.querySelector("[aria-invalid]")) return;
  box.replaceChildren(...Object.entries(STAGES).map(([stage, words]) => {
    const mine = full.filter((a) => a.stage === stage);
    if (!mine.length) return "";
    return el("section", { class: "card", "aria-labelledby": `stage-${stage}` },
      el("h2", { id: `stage-${stage}` }, `${words} · ${mine.length}`),
      el("div", { class: "table-wrap" }, el("table", {},
        el("thead", {}, el("tr", {}, ...[_("Company"), managers ? _("Manager") : null,
          _("Turnover"), _("Orders"), _("Hand-offs"), _("Add order")]
          .filter(Boolean).map((w) => el("th", { scope: "col" }, w)))),
        el("tbody", {}, ...mine.map(account)))));
  }));
  $("empty").hidden = full.length > 0;
}

// Where an order or a plan passed the account on: it leaves this desk's list, which said
// nothing of it before ("Order added." and the account was gone).
const PASSED = {
  regular: (company) => _("{company} reached its plan and passed to the regular clients' desk.",
    { company }),
  key_account: (company) => _(
    "{company} reached the strategic threshold and passed to the key accounts' desk.", { company }),
};

function done(words, before, after) {
  const passed = after.stage !== before ? PASSED[after.stage] : undefined;
  say(passed ? `${words} ${passed(after.company || _("—"))}` : words);
}

$("stages").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const { id, stage } = form.dataset;
  try {
    if (form.classList.contains("order-form")) {
      const order = await api("POST", `/accounts/${id}/orders`,
        { json: { amount: form.elements.amount.value || null }, key: newKey() });
      done(_("Order added."), stage, order.account);
    } else {
      const value = form.elements.plan_volume.value;
      const planned = await api("PATCH", `/accounts/${id}`,
        { json: { plan_volume: value === "" ? null : value } });
      done(_("Plan saved."), stage, planned);
    }
    document.activeElement.blur();
    await load();
  } catch (refusal) {
    if (!refusal.body) throw refusal;
    showRefusal(form, refusal);
  }
});

const loop = () => load().catch((refusal) => say(explain(refusal)))
  .finally(() => setTimeout(loop, 30000));
// A supervisor or admin sees every desk's accounts: the floor's navigation, not a manager's
// own questionnaires, and a title that does not say "my".
function asStaff() {
  managers = new Map();
  document.querySelector(".floor-nav").hidden = false;
  $("manager-link").hidden = true;
  const title = _("Accounts");
  document.title = document.title.replace($("page-title").textContent, title);
  $("page-title").textContent = title;
}

whoAmI(["manager", "supervisor", "admin"]).then((me) => {
  if (!me) return;
  if (me.role !== "manager") asStaff();
  // Questionnaires go to the acquisition desk alone: the other desks' link led to an empty page.
  else $("manager-link").hidden = me.user.desk !== "acquisition";
  loop();
}).catch((refusal) => say(explain(refusal)));
