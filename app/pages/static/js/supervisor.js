// The supervisor's dashboard: the dialer, the shift, the queue, the floor, polled.

import {
  $, OBJECTIONS, STATES, _, api, el, explain, follow, percent, say, svg, warn, whoAmI,
} from "./shared.js";
import { clearErrors, page, showRefusal } from "./forms.js";
import { MY_ZONE, clockIn, daysBefore, today } from "./time.js";

// What a pause holds still, and why.
const SCOPES = { dialer: _("dialer"), shift: _("shift"), operator: _("operator") };
const REASONS = {
  managers_saturated: _("MPK saturated"),
  clients_saturated: _("MRK full"),
  supervisor: _("supervisor"),
  self: _("break"),
};

const SATURATIONS = new Set(["managers_saturated", "clients_saturated"]);

// The stream brings the status and the operators; the funnel is asked for this often.
const POLL_MS = 30000;
// The planner reads weeks of history: asked once a few minutes, not every poll.
const PLAN_MS = 5 * 60 * 1000;

let status = null;

// The break codes' labels, to name an operator's break by its kind: the floor's answer names
// the code alone (its snapshot reads no more for a word that seldom changes). Asked once, and
// again for a code the page does not know yet (one added since it loaded).
const breakLabels = new Map();
const askedFor = new Set();

function breakLabel(code) {
  if (!breakLabels.has(code) && !askedFor.has(code)) {
    askedFor.add(code);
    api("GET", "/break-codes").then((codes) => {
      for (const c of codes) breakLabels.set(c.code, c.label);
      showOperators(operatorsNow);
    }).catch(() => {});
  }
  return breakLabels.get(code) ?? code;
}

// Why dialing stops: what is paused, for which reason, by whom, since when.
function reasonWords(reasons) {
  return (reasons || []).map((r) => {
    let words = `${SCOPES[r.scope] ?? r.scope}: ${REASONS[r.code] ?? r.code}`;
    if (r.break_code) words += ` (${breakLabel(r.break_code)})`;
    // A supervisor's reason is a person's words; the saturation checks' are log lines.
    if (r.reason && !SATURATIONS.has(r.code)) words += ` «${r.reason}»`;
    // An operator's own break is taken by the operator, whose row it is in.
    if (r.by?.name && r.code !== "self") words += `, ${r.by.name}`;
    return `${words}, ${clockIn(MY_ZONE, new Date(r.since))}`;
  }).join("; ");
}

function showStatus(s) {
  status = s;
  $("dialer-state").textContent = STATES[s.state] ?? s.state;
  $("dialer-state").dataset.state = s.state;
  $("dialer-reasons").textContent = reasonWords(s.reasons);
  // Only a supervisor's pause of the dialer is resumed here: a shift's is resumed with its
  // shift, and the managers' saturation lifts by itself.
  const held = (s.reasons || []).some((r) => r.scope === "dialer" && r.code === "supervisor");
  $("dialer-resume").hidden = !held;
  $("dialer-pause").hidden = held;
  for (const key of ["ready", "leased", "callbacks_due"]) {
    $(`queue-${key}`).textContent = s.queue?.[key] ?? "–";
  }
  const waiting = Object.values(s.queue?.waiting || {}).reduce((a, b) => a + b, 0);
  $("queue-waiting").textContent = waiting;
  // Each count carries its column's name, for the stacked rows of a narrow screen.
  const labels = [...document.querySelectorAll(".campaigns thead th")].map((th) => th.textContent);
  const cell = (i, value) => el("td", { "data-label": labels[i] }, value ?? 0);
  $("campaigns").replaceChildren(...(s.campaigns || []).map((c) => el("tr", { "data-campaign": c.id },
    el("th", { scope: "row" }, c.name), cell(1, c.callable_now),
    cell(2, c.waiting.outside_calling_window), cell(3, c.waiting.retry_not_due),
    cell(4, c.waiting.callback_not_due))));
  showManagers(s.managers || {});
  showClients(s.clients || {});
  showShift(s.shift);
  showAlerts();
}

// What a supervisor should look at now (the thresholds are in README.md, "Dashboard alerts").
const IDLE_ALERT_MIN = 5;
const BREAK_ALERT_MIN = 20;
const EMPTY_WITHIN_MIN = 15;
const NEAR_SATURATION = 0.8;
let operatorsNow = [];

function minutesSince(instant) {
  return Math.max(0, Math.floor((Date.now() - new Date(instant)) / 60000));
}

function showAlerts() {
  const found = [];
  // The floor's pace: about a call a minute for each operator working or ready for a number.
  const working = operatorsNow.filter((o) => !["off", "offline", "break", "paused"]
    .includes(o.state)).length;
  const campaigns = status?.campaigns || [];
  // A queue with nothing callable now does not empty: the campaigns' table says why it
  // waits. Only a floor with nothing callable anywhere is told so.
  for (const c of campaigns) {
    if (working > 0 && c.callable_now > 0 && c.callable_now < working * EMPTY_WITHIN_MIN) {
      found.push(_("{name}: the callable queue empties in about {minutes} min at this pace.",
        { name: c.name, minutes: Math.max(1, Math.floor(c.callable_now / working)) }));
    }
  }
  if (working > 0 && campaigns.length && campaigns.every((c) => c.callable_now === 0)) {
    found.push(_("No campaign has a number callable now: the operators wait."));
  }
  const m = status?.managers || {};
  const high = Math.ceil(((m.capacity || 0) * (m.high_mark_percent ?? 100)) / 100);
  if (!m.saturated && high > 0 && m.open >= high * NEAR_SATURATION) {
    found.push(_("The acquisition managers are near saturation: {open} of {capacity} open.",
      { open: m.open, capacity: m.capacity }));
  }
  for (const o of operatorsNow) {
    if (!o.since) continue;
    const minutes = minutesSince(o.since);
    const name = o.name || o.login;
    if (o.state === "idle" && minutes >= IDLE_ALERT_MIN) {
      found.push(_("{name} has waited for a number for {minutes} min.", { name, minutes }));
    }
    if (o.state === "break" && minutes >= BREAK_ALERT_MIN) {
      // By its kind where the break has one: a lunch's 20 minutes are not a smoke's.
      const code = (o.reasons || []).find((r) => r.break_code)?.break_code;
      found.push(code
        ? _("{name} has been on a break ({kind}) for {minutes} min.", { name, kind: breakLabel(code), minutes })
        : _("{name} has been on a break for {minutes} min.", { name, minutes }));
    }
  }
  $("alerts").replaceChildren(...found.map((text) => el("li", {}, text)));
  $("alerts-box").hidden = found.length === 0;
}

// What the planner recommends for the live shift, beside its roster.
let plan = null;

async function loadPlan() {
  try {
    plan = await api("GET", "/reports/plan");
  } catch (refusal) {
    plan = null;
  }
  showShift(status?.shift ?? null);
}

function showPlan(shift) {
  const planned = shift && plan?.shifts?.find((s) => s.id === shift.id);
  if (!planned) {
    $("shift-plan").textContent = "";
    return;
  }
  let words = _("Rostered {rostered}, the planner recommends {recommended}.", planned);
  if (planned.pause_expected_at) {
    words += " " + _("With this roster a saturation pause is expected at about {time}.", {
      time: clockIn(MY_ZONE, new Date(planned.pause_expected_at)) });
  }
  $("shift-plan").textContent = words;
}

// Working clients against the MRK's capacity, with the same marks.
function showClients(clients) {
  const working = Number(clients.working) || 0;
  const capacity = clients.capacity;
  $("clients-load").textContent = capacity === null || capacity === undefined
    ? String(working) : `${working} / ${capacity}`;
  const words = [];
  if (clients.waiting) words.push(_("{n} new clients wait for an MRK.", { n: clients.waiting }));
  if (clients.saturated && clients.resume_estimate) {
    const at = new Date(clients.resume_estimate);
    words.push(_("Dialing should resume at about {time}.", { time: `${clockIn(MY_ZONE, at)} (${MY_ZONE})` }));
  }
  $("clients-marks").textContent = words.join(" ");
  // Without a capacity (no MRK, or one holding without limit) there is nothing to fill.
  const limited = typeof capacity === "number";
  $("clients-meter").hidden = !limited;
  if (!limited) return;
  const scale = Math.max(working, capacity, 1) * 1.1;
  $("clients-meter").replaceChildren(svg("svg",
    { viewBox: "0 0 300 24", width: "100%", height: "24", role: "img",
      "aria-label": `${_("MRK load")}: ${$("clients-load").textContent}. ${words.join(" ")}` },
    svg("rect", { x: 0, y: 4, width: 300, height: 16, class: "track" }),
    svg("rect", { x: 0, y: 4, width: (working / scale) * 300, height: 16,
      class: clients.saturated ? "bar over" : "bar" })));
}

function showShift(shift) {
  $("shift-name").textContent = shift ? shift.name : _("No shift is open");
  $("shift-state").textContent = shift ? (STATES[shift.state] ?? shift.state) : "";
  $("shift-hours").textContent = shift
    ? `${clockIn(MY_ZONE, new Date(shift.starts_at))}–${clockIn(MY_ZONE, new Date(shift.ends_at))} (${MY_ZONE})`
    : "";
  $("shift-pause").hidden = !shift || shift.state !== "open";
  $("shift-resume").hidden = !shift || shift.state !== "paused";
  showPlan(shift);
}

// The MPK backlog against capacity, with the marks where dialing pauses and resumes.
function showManagers(managers) {
  const open = Number(managers.open) || 0;
  const capacity = Number(managers.capacity) || 0;
  const high = Math.ceil((capacity * (managers.high_mark_percent ?? 100)) / 100);
  const low = managers.resume_at_open ?? null;
  $("managers-load").textContent = `${open} / ${capacity}`;
  const words = low === null || capacity === 0 ? [] : [_("Pauses at {high} open questionnaires, resumes at {low} or fewer.", { high, low })];
  if (managers.saturated && managers.resume_estimate) {
    const at = new Date(managers.resume_estimate);
    words.push(_("Dialing should resume at about {time}.", { time: `${clockIn(MY_ZONE, at)} (${MY_ZONE})` }));
  }
  $("managers-marks").textContent = words.join(" ");
  const scale = Math.max(open, capacity, 1) * 1.1;
  const x = (n) => (n / scale) * 300;
  const marks = [high, low].filter((n) => n !== null && capacity > 0);
  $("managers-meter").replaceChildren(svg("svg",
    { viewBox: "0 0 300 24", width: "100%", height: "24", role: "img",
      "aria-label": `${_("MPK load")}: ${open} / ${capacity}. ${words.join(" ")}` },
    svg("rect", { x: 0, y: 4, width: 300, height: 16, class: "track" }),
    svg("rect", { x: 0, y: 4, width: x(open), height: 16,
      class: managers.saturated ? "bar over" : "bar" }),
    ...marks.map((m) => svg("line", { x1: x(m), x2: x(m), y1: 0, y2: 24, class: "mark" }))));
}

function showOperators(operators) {
  operatorsNow = operators;
  const labels = [...document.querySelectorAll(".operators thead th")].map((th) => th.textContent);
  const rows = operators.map((o) => {
    const id = o.id;
    const paused = o.paused;
    const action = paused
      ? el("button", { type: "button", "data-resume": id }, _("Resume"))
      : el("form", { class: "inline", "data-pause": id },
        el("label", { for: `reason-${id}`, class: "sr" }, _("Reason")),
        el("input", { id: `reason-${id}`, name: "reason", required: true, maxlength: 500,
          placeholder: _("Reason") }),
        el("button", { type: "submit" }, _("Pause")));
    // Time in state, and what keeps it from dialing: a supervisor's words, a break's kind.
    const minutes = o.since ? Math.max(0, Math.floor((Date.now() - new Date(o.since)) / 60000)) : null;
    const why = reasonWords(o.reasons);
    const aht = o.calls ? Math.round(o.talk_seconds / o.calls) : "–";
    const conversion = percent(o.conversion);
    // A phone shows each row as a list of facts: each value names its column.
    const named = (i) => ({ "data-label": labels[i] });
    return el("tr", { "data-operator": id },
      el("th", { scope: "row" }, o.name || o.login),
      el("td", { "data-state": o.state }, STATES[o.state] ?? o.state),
      el("td", named(2), minutes === null ? "–" : _("{minutes} min", { minutes }),
        why ? el("small", { class: "why" }, el("br"), why) : ""),
      el("td", named(3), o.calls),
      el("td", named(4), Math.round(o.talk_seconds / 60)),
      el("td", named(5), aht),
      el("td", named(6), o.warm_questionnaires),
      el("td", named(7), conversion),
      el("td", {}, action));
  });
  const tbody = $("operators");
  // Keep a reason being typed: do not rebuild while one of the table's fields has focus (a
  // button pressed there keeps focus too, and must not keep the table as it was).
  if (tbody.contains(document.activeElement) && document.activeElement.matches("input")) return;
  tbody.replaceChildren(...rows);
}

function showFunnel(report) {
  const hours = report.by_hour_of_shift || [];
  const hour = (h) => _("hour {n}", { n: h.hour });
  $("chart-calls").replaceChildren(barChart(
    hours.map((h) => ({ label: hour(h), values: [h.attempts, h.warm] })),
    [{ name: _("Calls"), cls: "calls" }, { name: _("Warm"), cls: "warm" }]));
  $("chart-conversion").replaceChildren(barChart(
    hours.map((h) => ({ label: hour(h), values: [Math.round((h.conversion ?? 0) * 1000) / 10] })),
    [{ name: _("Conversion"), cls: "warm" }], (v) => percent(v / 100)));
  $("chart-objections").replaceChildren(barChart(
    (report.objections || []).map((o) => ({
      label: OBJECTIONS[o.code] ?? o.code, values: [o.count] })),
    [{ name: _("Times heard"), cls: "calls" }]));
  // The whole funnel, a row per operator then per campaign; each count named for narrow screens.
  const labels = [...document.querySelectorAll(".funnel thead th")].map((th) => th.textContent);
  const stages = ["contacts", "attempts", "reached", "warm", "questionnaires", "first_order",
    "working", "regular", "key_account"];
  const line = (g, kind) => el("tr", { "data-kind": kind },
    el("th", { scope: "row" }, g.name || "–"),
    ...stages.map((k, i) => el("td", { "data-label": labels[i + 1] }, g[k] ?? 0)),
    el("td", { "data-label": labels[stages.length + 1] }, percent(g.conversion)));
  $("funnel").replaceChildren(
    ...(report.by_operator || []).map((g) => line(g, "operator")),
    ...(report.by_campaign || []).map((g) => line(g, "campaign")));
}

// The acquisition managers' questionnaires past their deadline.
function showOverdue(late) {
  $("managers-overdue").textContent = _("Overdue questionnaires: {n}", { n: late.length });
  $("managers-overdue").className = late.length ? "overdue" : "hint";
}

// Quality control at a glance: the calls waiting for a review, the lowest average scores of
// the last seven days, and the objection answered worst.
const QC_DAYS = 7;
const QC_ROWS = 5;

function showQcQueue({ items, total }) {
  $("qc-queue").textContent = total ?? items.length;
}

// The objection with the smallest share handled well, over every operator's reviews; a tie
// goes to the one handled badly more often. Null when no reviewed call was handled badly.
function weakestObjection(lines) {
  const sums = {};
  for (const line of lines) {
    for (const [code, h] of Object.entries(line.objections)) {
      const sum = (sums[code] ??= { code, well: 0, badly: 0 });
      sum.well += h.handled_well;
      sum.badly += h.handled_badly;
    }
  }
  const share = (s) => s.well / (s.well + s.badly);
  const ranked = Object.values(sums).filter((s) => s.badly > 0)
    .sort((a, b) => share(a) - share(b) || b.badly - a.badly || a.code.localeCompare(b.code));
  return ranked[0] ?? null;
}

function showQcReport(lines) {
  const lowest = [...lines].sort((a, b) => Number(a.score) - Number(b.score)).slice(0, QC_ROWS);
  $("qc-scores").replaceChildren(...lowest.map((line) => el("tr", { "data-operator": line.operator_id },
    el("th", { scope: "row" }, line.name || line.login),
    el("td", {}, `${Math.round(Number(line.score))} %`),
    el("td", {}, line.reviews))));
  $("qc-scores-table").hidden = lines.length === 0;
  $("qc-scores-empty").hidden = lines.length > 0;
  const weakest = weakestObjection(lines);
  $("qc-objection").replaceChildren(weakest
    ? el("span", {}, el("strong", {}, OBJECTIONS[weakest.code] ?? weakest.code), " — ",
      _("handled well in {well} of {calls} reviewed calls",
        { well: weakest.well, calls: weakest.well + weakest.badly }))
    : el("span", { class: "hint" }, _("No objection was handled badly.")));
}

// Each part shows what it got; one refusal does not blank the others.
async function refresh() {
  const period = new URLSearchParams({ from: today(), to: today(), tz: MY_ZONE });
  const week = new URLSearchParams({ from: daysBefore(today(), QC_DAYS - 1), to: today(),
    tz: MY_ZONE });
  const get = (path) => () => api("GET", path);
  const parts = [[get("/dialer/status"), showStatus], [get("/operators/live"), showOperators],
    [get(`/reports/funnel?${period}`), showFunnel],
    [get("/questionnaires?overdue=true"), showOverdue],
    [() => page("/qc/queue", {}, 1, 0), showQcQueue],
    [get(`/reports/qc?${week}`), showQcReport]];
  const answers = await Promise.allSettled(parts.map(([ask]) => ask()));
  answers.forEach((answer, i) => {
    if (answer.status === "fulfilled") parts[i][1](answer.value);
  });
  const refused = answers.find((answer) => answer.status === "rejected");
  if (refused) throw refused.reason;
  $("updated").textContent = clockIn(MY_ZONE, new Date());
}

async function poll() {
  try {
    await refresh();
  } catch (refusal) {
    say(explain(refusal));
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

// A supervisor's action; its refusal shows beside what was pressed (`near`).
async function act(path, json, near = null) {
  try {
    await api("POST", path, { json });
  } catch (refusal) {
    warn(refusal, near);
    return false;
  }
  say(_("Done."));
  await refresh().catch((refusal) => say(explain(refusal)));
  return true;
}

$("dialer-pause").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!event.target.reportValidity()) return;
  if (await act("/dialer/pause", { reason: $("dialer-reason").value }, event.target)) {
    event.target.reset();
  }
});
$("dialer-resume").addEventListener("click", (event) => act("/dialer/resume", undefined, event.target));
$("shift-pause").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!status?.shift || !event.target.reportValidity()) return;
  if (await act(`/shifts/${status.shift.id}/pause`, { reason: $("shift-reason").value },
    event.target)) {
    event.target.reset();
  }
});
$("shift-resume").addEventListener("click", () => {
  if (status?.shift) act(`/shifts/${status.shift.id}/resume`, undefined, $("shift-resume"));
});
$("operators").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!form.reportValidity()) return;
  const reason = form.elements.reason.value;
  document.activeElement.blur();
  await act(`/operators/${form.dataset.pause}/pause`, { reason });
});
$("operators").addEventListener("click", (event) => {
  const id = event.target.dataset.resume;
  if (id) act(`/operators/${id}/resume`);
});
$("timesheet").addEventListener("submit", downloadTimesheet);
$("ts-from").value = $("ts-to").value = today();
// The status and the operators come by the floor's stream; the funnel every half minute,
// the planner's advice every few minutes.
function start() {
  follow("/floor/stream", (name, data) => {
    if (name !== "floor") return;
    showOperators(data.operators);
    showStatus(data.status);
  }, () => refresh().catch((refusal) => say(explain(refusal))));
  poll();
  loadPlan();
  setInterval(loadPlan, PLAN_MS);
}

whoAmI(["supervisor", "admin"]).then((me) => { if (me) start(); })
  .catch((refusal) => say(explain(refusal)));

// Bars in inline SVG: rows of {label, values}, one value per series, each value written by
// `write` (a share as the page's language writes one).
function barChart(rows, series, write = String) {
  if (!rows.length) return el("p", { class: "hint" }, _("No data yet."));
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  // The scale's top, left of the bars, with room for it: a fixed margin cut the first digit
  // off "33,3 %" at a phone's width. 7 units a character is a digit's width at the 10-unit
  // font, with some to spare.
  const [W, H, bottom, top] = [360, 120, 18, 12];
  const left = Math.max(34, 7 * write(max).length + 6);
  const band = (W - left) / rows.length;
  const width = Math.min(36, (band * 0.7) / series.length);
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const said = rows.map((r) => `${r.label}: ${r.values.map(write).join(" / ")}`);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", class: "chart",
    role: "img", "aria-label": said.join("; ") },
  svg("line", { x1: left, x2: W, y1: H - bottom, y2: H - bottom, class: "axis" }),
  svg("text", { x: left - 4, y: top + 4, "text-anchor": "end", class: "scale" }, write(max)));
  rows.forEach((row, i) => {
    const start = left + (i + 0.5) * band - (width * series.length) / 2;
    row.values.forEach((value, j) => {
      chart.append(svg("rect", { x: start + j * width, y: y(value), width: Math.max(1, width - 2),
        height: H - bottom - y(value), class: series[j].cls },
      svg("title", {}, `${row.label} · ${series[j].name}: ${write(value)}`)));
    });
    chart.append(svg("text", { x: left + (i + 0.5) * band, y: H - 4, "text-anchor": "middle" },
      row.label));
  });
  const legend = series.length < 2 ? [] : [el("p", { class: "legend" }, series.map(
    (s) => el("span", { class: s.cls }, s.name)))];
  return el("div", {}, chart, ...legend);
}

// A link cannot carry the bearer token: fetch the CSV and hand it over as a file.
async function downloadTimesheet(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  if (!form.reportValidity()) return;
  const query = new URLSearchParams({ from: form.elements.from.value,
    to: form.elements.to.value, format: "csv" });
  try {
    const blob = await api("GET", `/reports/timesheet?${query}`);
    const link = el("a", { href: URL.createObjectURL(blob),
      download: `timesheet-${query.get("from")}-${query.get("to")}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (refusal) {
    // A period refused is said beside its dates, in the page's words.
    if (refusal.body?.fields?.length) showRefusal(form, refusal);
    else say(explain(refusal));
  }
}
