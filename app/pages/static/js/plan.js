// The shift planner: how many operators each shift ahead needs to keep the MPK busy, not full.

import { $, WEEKDAYS, _, api, el, explain, say, whoAmI } from "./shared.js";
import { MY_ZONE, clockIn, today } from "./time.js";

function plusDays(isoDate, days) {
  const at = new Date(`${isoDate}T12:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

const number = (n, digits = 1) => Number(n).toLocaleString(document.documentElement.lang,
  { maximumFractionDigits: digits });

function showHistory(plan) {
  const m = plan.measured;
  const facts = { days: m.days, floor_days: m.floor_days, hours: number(m.operator_hours), warm: m.warm };
  $("history").textContent = _("Measured over the last {days} d: {floor_days} d on the floor, operator-hours: {hours}, warm questionnaires: {warm}.", facts);
  const short = $("history-short");
  short.hidden = m.enough_history;
  short.textContent = m.enough_history ? "" : _("Too little history to measure: the plan uses the campaigns' defaults, {warm} warm questionnaires per operator-hour and {closes} closed per MPK a day.", {
    warm: number(plan.defaults.warm_per_operator_hour, 2),
    closes: number(plan.defaults.closes_per_manager_day, 2),
  });
  // With no hour measured yet, one rate for every hour of a shift.
  const hours = m.by_hour_of_shift.length ? m.by_hour_of_shift
    : [{ hour: null, warm_per_operator_hour: m.warm_per_operator_hour }];
  $("rate-hours").replaceChildren(...hours.map((h) => el("th", { scope: "col" },
    h.hour === null ? _("every hour") : _("hour {n}", { n: h.hour }))));
  $("rate-values").replaceChildren(...hours.map((h) =>
    el("td", {}, number(h.warm_per_operator_hour, 2))));
}

function showDesk(plan) {
  const d = plan.desk;
  $("desk").textContent = _("Capacity {capacity}: dialing pauses at {high} open questionnaires and resumes at {low}. Open now: {open}. Together they close {closes} a day.", {
    capacity: d.capacity, high: number(d.high_mark), low: number(d.low_mark), open: d.open_now,
    closes: number(d.closes_per_day),
  });
  $("managers").replaceChildren(...plan.managers.map((m) => el("tr", {},
    el("th", { scope: "row" }, m.name),
    el("td", {}, String(m.capacity)),
    el("td", {}, m.measured ? number(m.closes_per_day, 2)
      : `${number(m.closes_per_day, 2)} (${_("default")})`))));
}

function when(shift) {
  const start = new Date(shift.starts_at);
  const day = WEEKDAYS[start.getDay() || 7];
  // On the reader's wall clock, as the dashboard writes a shift, and so named.
  const end = clockIn(MY_ZONE, new Date(shift.ends_at));
  return `${day} ${clockIn(MY_ZONE, start, true)}–${end} (${MY_ZONE})`;
}

function outlook(shift) {
  if (shift.pause_expected_at) {
    return el("strong", { class: "overdue" }, _("saturation pause at about {time}", {
      time: clockIn(MY_ZONE, new Date(shift.pause_expected_at)) }));
  }
  if (shift.idle_hours > 0) {
    return el("span", { class: "overdue" }, _("MPK idle for about {hours} h", {
      hours: number(shift.idle_hours) }));
  }
  return el("span", {}, _("no pause, no idle MPK"));
}

// Each cell names its column, for the narrow screen where the rows stack.
function labelled(row) {
  const names = [...document.querySelectorAll(".plan thead th")].map((th) => th.textContent);
  [...row.children].forEach((cell, i) => cell.setAttribute("data-label", names[i] ?? ""));
  return row;
}

// Where the floor is short, what the MPK could take beside the roster it has.
function short(shift) {
  if (shift.wanted <= shift.recommended) return [];
  return [el("br"), el("span", { class: "hint" }, _("the MPK could take {n}", { n: shift.wanted }))];
}

function showShifts(plan) {
  $("floor-size").textContent = _("Active operators on the floor: {n}. No more are recommended.",
    { n: plan.operators });
  const rows = plan.shifts.map((s) => {
    const gap = s.recommended - s.rostered;
    const advice = gap === 0 ? "" : gap > 0 ? _("{n} more", { n: gap }) : _("{n} fewer", { n: -gap });
    return labelled(el("tr", { "data-id": s.id, class: gap === 0 ? false : "late" },
      el("th", { scope: "row" }, `${s.name}`, el("br"), el("span", { class: "hint" }, when(s))),
      el("td", {}, String(s.rostered)),
      // One box: where the rows stack, the cell's label, then its words as one line.
      el("td", {}, el("span", {}, el("strong", {}, String(s.recommended)),
        advice ? ` (${advice})` : "", ...short(s))),
      el("td", {}, `${number(s.expected_warm)} → ${number(s.recommended_warm)}`),
      el("td", {}, `${number(s.expected_open_at_end)} → ${number(s.recommended_open_at_end)}`),
      el("td", {}, outlook(s))));
  });
  $("shifts").replaceChildren(...rows);
  $("no-shifts").hidden = rows.length > 0;
}

async function load() {
  const form = $("period");
  const query = new URLSearchParams({ from: form.elements.from.value, to: form.elements.to.value,
    days: form.elements.days.value });
  try {
    const plan = await api("GET", `/reports/plan?${query}`);
    showHistory(plan);
    showDesk(plan);
    showShifts(plan);
  } catch (refusal) {
    say(explain(refusal));
  }
}

$("period").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});

whoAmI(["supervisor", "admin"]).then((me) => {
  if (!me) return;
  const form = $("period");
  form.elements.from.value = today();
  form.elements.to.value = plusDays(today(), 13);
  load();
}).catch((refusal) => say(explain(refusal)));
