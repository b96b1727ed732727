// Shifts: the next two weeks by template; pause, resume, close; the roster as operators to
// tick; walk-ins; attendance corrections; templates created, changed and removed.

import { $, STATES, WEEKDAYS, _, api, el, explain, say, whoAmI } from "./shared.js";
import { button, fillTable, onSubmit, page, ready } from "./forms.js";
import { MY_ZONE, clockIn } from "./time.js";

let operators = [];
let shown = null;
let editingTemplate = null;
// Each template's zone: a shift's hours are its zone's wall clock, and say which.
let zones = new Map();

// A shift's instants are written with its own zone's offset: its wall clock is in the text.
const wall = (iso) => iso.slice(11, 16);
const day = (iso) => iso.slice(0, 10);
const offset = (iso) => iso.slice(19);
const nameOf = (id) => operators.find((o) => o.id === id)?.name ?? id;
const hours = (s) => {
  const zone = zones.get(s.template_id);
  return `${wall(s.starts_at)}–${wall(s.ends_at)}${zone ? ` (${zone})` : ""}`;
};

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

// The planner's advice beside each roster: the operators recommended, and the pause the
// roster as it stands is expected to bring. The shifts show without it if it is refused.
async function advice(period) {
  try {
    const plan = await api("GET", `/reports/plan?${period}`);
    return new Map(plan.shifts.map((p) => [p.id, p]));
  } catch {
    return new Map();
  }
}

// The pause on the shift's clock, its zone named, as the shift's hours are written beside it:
// on the reader's clock and unnamed it read as the shift's. The reader's, named, for a shift
// whose template is gone.
function advised(planned, shift) {
  if (!planned) return "–";
  if (!planned.pause_expected_at) return String(planned.recommended);
  const zone = zones.get(shift.template_id) ?? MY_ZONE;
  const time = `${clockIn(zone, new Date(planned.pause_expected_at))} (${zone})`;
  return `${planned.recommended} — ${_("saturation pause at about {time}", { time })}`;
}

async function shifts() {
  const from = new Date();
  const to = new Date(from.getTime() + 13 * 86400000);
  const period = `from=${isoDate(from)}&to=${isoDate(to)}`;
  const [items, plan] = await Promise.all([api("GET", `/shifts?${period}`), advice(period)]);
  fillTable($("shifts"), items.map((s) => [
    day(s.starts_at), s.name, hours(s),
    STATES[s.state] ?? s.state, String(s.roster.length), advised(plan.get(s.id), s),
    // Its details below, not the shift opened: "Open" read as starting it.
    button(_("Details"), () => open(s), { "data-shift": s.id }),
  ]), _("No shifts in the next two weeks."));
  return items;
}

async function open(shift) {
  shown = shift;
  $("shift-h").textContent = `${shift.name}, ${day(shift.starts_at)} ${hours(shift)} · ${STATES[shift.state] ?? shift.state}`;
  $("resume").hidden = shift.state !== "paused";
  $("pause-form").querySelector("button[type=submit]").hidden = shift.state !== "open";
  $("pause-reason").parentElement.hidden = shift.state !== "open";
  $("close").hidden = !["open", "paused"].includes(shift.state);
  const live = ["open", "paused"].includes(shift.state);
  $("roster").replaceChildren(...operators.map((o) => el("label", {},
    el("input", { type: "checkbox", name: "operator_ids", value: o.id,
      checked: shift.roster.includes(o.id) }), ` ${o.name}`)));
  $("walkin-form").hidden = !live;
  $("walkin").replaceChildren(...operators.filter((o) => !shift.roster.includes(o.id))
    .map((o) => new Option(o.name, o.id)));
  $("corr-operator").replaceChildren(...shift.roster.map((id) => new Option(nameOf(id), id)));
  await attendance();
  $("shift").hidden = false;
  $("shift").focus();
}

let records = [];

async function attendance() {
  records = await api("GET", `/shifts/${shown.id}/attendance`);
  fillTable($("attendance"), records.map((r) => [
    nameOf(r.operator_id), local(r.clock_in_at), r.clock_out_at ? local(r.clock_out_at) : "–",
    String(Math.round(r.minutes)),
    button(_("Correct"), () => {
      $("corr-operator").value = r.operator_id;
      $("corr-in").value = local(r.clock_in_at);
      $("corr-out").value = r.clock_out_at ? local(r.clock_out_at) : "";
      $("corr-in").focus();
    }),
  ]), _("Nobody clocked in."));
}

// An instant as the shift's wall clock.
function local(iso) {
  const sign = shown.starts_at.slice(19, 20) === "-" ? -1 : 1;
  const [h, m] = shown.starts_at.slice(20, 25).split(":").map(Number);
  const shifted = new Date(new Date(iso).getTime() + sign * (h * 60 + m) * 60000);
  return shifted.toISOString().slice(11, 16);
}

async function reload() {
  const items = await shifts();
  if (shown) {
    const again = items.find((s) => s.id === shown.id);
    if (again) await open(again);
  }
}

async function act(path, json) {
  try {
    await api("POST", `/shifts/${shown.id}/${path}`, json ? { json } : {});
  } catch (refusal) {
    say(explain(refusal));
  }
  await reload();
}

onSubmit($("pause-form"), async (data) => {
  await api("POST", `/shifts/${shown.id}/pause`, { json: { reason: data.get("reason") ?? "" } });
  $("pause-form").reset();
  say(_("The shift is paused."));
  await reload();
});
$("resume").addEventListener("click", () => act("resume"));
$("close").addEventListener("click", () => act("close"));

onSubmit($("roster-form"), async (data) => {
  const ids = data.getAll("operator_ids").map(String);
  await api("PUT", `/shifts/${shown.id}/roster`, { json: { operator_ids: ids } });
  say(_("The roster is saved: {n} operators.", { n: ids.length }));
  await reload();
});

onSubmit($("walkin-form"), async (data) => {
  await api("POST", `/shifts/${shown.id}/walk-ins`, { json: { operator_id: data.get("operator_id") } });
  say(_("Walk-in added."));
  await reload();
});

onSubmit($("correction-form"), async (data) => {
  const at = (time) => (time ? `${day(shown.starts_at)}T${time}:00${offset(shown.starts_at)}` : null);
  const json = { clock_in_at: at(data.get("clock_in_at")), clock_out_at: at(data.get("clock_out_at")) };
  const operator = data.get("operator_id");
  const existing = records.filter((r) => r.operator_id === operator).at(-1);
  if (existing) await api("PUT", `/attendance/${existing.id}`, { json });
  else await api("POST", `/shifts/${shown.id}/attendance-records`, { json: { ...json, operator_id: operator } });
  say(_("The times are saved; the timesheet counts them."));
  $("correction-form").reset();
  await attendance();
});

// ---- templates

async function templates() {
  const items = await api("GET", "/shift-templates");
  zones = new Map(items.map((t) => [t.id, t.timezone]));
  fillTable($("templates"), items.map((t) => [
    t.name, `${t.start}–${t.end}`, t.weekdays.map((d) => WEEKDAYS[d]).join(", "), t.timezone,
    el("span", { class: "actions" },
      button(_("Edit"), () => editTemplate(t)),
      button(_("Remove"), () => removeTemplate(t))),
  ]), _("No templates."));
}

function editTemplate(t) {
  editingTemplate = t;
  const form = $("template-form");
  for (const name of ["name", "start", "end", "timezone"]) form.elements[name].value = t[name];
  for (const box of $("t-days").querySelectorAll("input[type=checkbox]")) {
    box.checked = t.weekdays.includes(Number(box.value));
  }
  $("t-save").textContent = _("Save the template");
  $("t-cancel").hidden = false;
  $("t-name").focus();
}

function stopEditing() {
  editingTemplate = null;
  $("template-form").reset();
  $("t-save").textContent = _("Add the template");
  $("t-cancel").hidden = true;
}

async function removeTemplate(t) {
  if (!confirm(_("Remove the template {name}? Its planned shifts go.", t))) return;
  try {
    await api("DELETE", `/shift-templates/${t.id}`);
    say(_("Removed: {name}", t));
  } catch (refusal) {
    say(explain(refusal));
  }
  await templates();
  await shifts();
}

onSubmit($("template-form"), async (data) => {
  const weekdays = [...$("t-days").querySelectorAll("input[type=checkbox]:checked")].map((b) => Number(b.value));
  const json = {
    name: data.get("name"), start: data.get("start"), end: data.get("end"),
    timezone: data.get("timezone"), weekdays,
  };
  if (editingTemplate) await api("PUT", `/shift-templates/${editingTemplate.id}`, { json });
  else await api("POST", "/shift-templates", { json });
  say(_("Saved: {name}", json));
  stopEditing();
  await templates();
  await shifts();
});
$("t-cancel").addEventListener("click", stopEditing);

// ---- break codes: everyone on the floor reads them; an admin adds, relabels and retires

let editingBreak = null;
let isAdmin = false;

async function breakCodes() {
  const codes = await api("GET", "/break-codes");
  fillTable($("break-codes"), codes.map((b) => [
    b.label, b.code, b.paid ? _("yes") : _("no"), b.active ? _("yes") : _("no"),
    ...(isAdmin ? [el("span", { class: "actions" },
      button(_("Edit"), () => editBreak(b)),
      button(b.active ? _("Retire") : _("Offer again"), () => offerBreak(b, !b.active)))] : []),
  ]), _("No break codes yet: operators cannot take a break."));
}

function editBreak(b) {
  editingBreak = b;
  const form = $("break-form");
  form.elements.label.value = b.label;
  form.elements.paid.checked = b.paid;
  for (const node of form.querySelectorAll(".create-only")) node.hidden = true;
  $("b-save").textContent = _("Save the break code");
  $("b-cancel").hidden = false;
  $("b-label").focus();
}

function stopEditingBreak() {
  editingBreak = null;
  const form = $("break-form");
  form.reset();
  for (const node of form.querySelectorAll(".create-only")) node.hidden = false;
  $("b-save").textContent = _("Add the break code");
  $("b-cancel").hidden = true;
}

async function offerBreak(b, active) {
  try {
    await api("PATCH", `/break-codes/${encodeURIComponent(b.code)}`, { json: { active } });
    say(active ? _("Offered again: {label}", b) : _("Retired: {label}", b));
  } catch (refusal) {
    say(explain(refusal));
  }
  await breakCodes();
}

onSubmit($("break-form"), async (data) => {
  const json = { label: data.get("label"), paid: data.get("paid") === "on" };
  if (editingBreak) {
    await api("PATCH", `/break-codes/${encodeURIComponent(editingBreak.code)}`, { json });
  } else {
    await api("POST", "/break-codes", { json: { ...json, code: data.get("code") } });
  }
  say(_("Saved: {name}", { name: json.label }));
  stopEditingBreak();
  await breakCodes();
});
$("b-cancel").addEventListener("click", stopEditingBreak);

const me = await whoAmI(["supervisor", "admin"]);
if (me) {
  isAdmin = me.role === "admin";
  $("break-form").hidden = !isAdmin;
  $("breaks-admins-only").hidden = isAdmin;
  $("breaks-actions-h").hidden = !isAdmin;
  // By name, as a supervisor looks one up in the roster and the walk-ins.
  operators = (await page("/users", { role: "operator", active: "true" }, 1000, 0)).items
    .sort((a, b) => a.name.localeCompare(b.name, document.documentElement.lang,
      { numeric: true }));
  await templates();
  await shifts();
  await breakCodes();
  ready();
}
