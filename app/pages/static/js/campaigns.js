// Campaigns: the list; every setting created and changed; a campaign's page with its live
// counts and imports; a base uploaded with a progress bar and the report of refused lines.

import { $, _, api, el, explain, pgettext, say, whoAmI } from "./shared.js";
import { button, fillTable, lineReason, onSubmit, page, saveFile, when, ready } from "./forms.js";

const POLL_MS = 5000;
const WAITING = {
  outside_calling_window: _("outside the calling window"),
  retry_not_due: _("retry not due yet"),
  callback_not_due: _("callback not due yet"),
};
const DONE = {
  no_answer: _("No answer"), busy: _("Busy"), voicemail: _("Voicemail"),
  wrong_number: _("Wrong number"), not_interested: _("Not interested"), callback: _("Callback"),
  warm: _("Warm questionnaire"), do_not_call: _("Do not call"), closed: _("closed"),
  erased: _("erased"),
};
const STATUS = { running: _("running"), done: _("done"), failed: _("failed") };

let editing = null;
let shown = null;
let poll = null;

async function list() {
  const { items } = await page("/campaigns", {}, 1000, 0);
  fillTable($("campaigns"), items.map((c) => [
    c.name,
    `${c.calling_window.start}–${c.calling_window.end}`,
    c.timezone,
    c.active ? _("yes") : _("no"),
    el("span", { class: "actions" },
      button(_("Open"), () => open(c.id)), button(_("Edit"), () => edit(c))),
  ]), _("No campaigns yet."));
  return items;
}

// ---- the settings form

function objectionsText(objections) {
  return objections.map((o) => `${o.code}: ${o.answer}`).join("\n");
}

// A field's required mark as the page writes it, and the spellings it takes in the fourth
// column, whatever their case; anything else is refused, not read as optional (an operator
// filed an empty questionnaire after "Required" or "да" had been dropped in silence).
const REQUIRED = pgettext("questionnaire field", "required");
const REQUIRED_MARKS = new Set(["required", "yes", "да", "обязательно", "*", REQUIRED.toLowerCase()]);

// A choice field's type column carries its choices: "choice: Офис, Склад" (saving a campaign
// dropped them, and every answer to the field was then refused).
function typeText(f) {
  return f.type === "choice" ? `choice: ${(f.choices || []).join(", ")}` : f.type;
}

function fieldsText(fields) {
  return fields.map((f) => [f.name, f.label, typeText(f), f.required ? REQUIRED : ""]
    .join(" | ").replace(/ \| $/, "")).join("\n");
}

function lines(text) {
  return String(text || "").split("\n").map((l) => l.trim()).filter(Boolean);
}

function parseObjections(text) {
  return lines(text).map((line) => {
    const at = line.indexOf(":");
    return at < 0 ? { code: line, answer: "" }
      : { code: line.slice(0, at).trim(), answer: line.slice(at + 1).trim() };
  });
}

// A line of the fields refused: said beside them, in the page's words (forms.js), nothing saved.
function refuseFields(msg) {
  throw { body: { error: "invalid_input", fields: [{ loc: ["body", "questionnaire_fields"], msg }] } };
}

function parseFields(text) {
  return lines(text).map((line, at) => {
    const columns = line.split("|").map((p) => p.trim());
    // A fifth column was dropped in silence (choices written after the mark, say).
    if (columns.length > 4) refuseFields(`more than four columns on line ${at + 1}`);
    const [name, label, type, mark = ""] = columns;
    if (mark && !REQUIRED_MARKS.has(mark.toLowerCase())) {
      refuseFields(`unknown required mark "${mark}" on line ${at + 1}`);
    }
    const choice = /^choice\s*:(.*)$/i.exec(type || "");
    if (choice) {
      const choices = choice[1].split(",").map((c) => c.trim()).filter(Boolean);
      return { name, label: label || name, type: "choice", choices, required: Boolean(mark) };
    }
    return { name, label: label || name, type: type || "text", required: Boolean(mark) };
  });
}

const NUMBERS = ["lease_minutes", "callback_handover_minutes", "retry.max_attempts",
  "retry.calls_per_day", ...["busy", "no_answer", "voicemail"].flatMap((k) =>
    [`retry.${k}.delay_minutes`, `retry.${k}.max_attempts`])];

function fill(form, campaign) {
  const values = {
    name: campaign.name, timezone: campaign.timezone,
    "calling_window.start": campaign.calling_window.start,
    "calling_window.end": campaign.calling_window.end,
    lease_minutes: campaign.lease_minutes,
    callback_handover_minutes: campaign.callback_handover_minutes,
    script: campaign.script,
    objections: objectionsText(campaign.objections),
    questionnaire_fields: fieldsText(campaign.questionnaire_fields),
  };
  for (const [key, value] of Object.entries(campaign.retry)) {
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) values[`retry.${key}.${k}`] = v;
    } else {
      values[`retry.${key}`] = value;
    }
  }
  for (const [name, value] of Object.entries(values)) {
    if (form.elements[name]) form.elements[name].value = value ?? "";
  }
  form.elements.active.checked = campaign.active;
}

// The defaults of a new campaign, as the API would give them.
const NEW = {
  name: "", timezone: "Europe/Moscow", calling_window: { start: "09:00", end: "20:00" },
  lease_minutes: 10, callback_handover_minutes: 30, script: "", active: true,
  retry: { max_attempts: 6, calls_per_day: 3, busy: { delay_minutes: 15, max_attempts: 5 },
    no_answer: { delay_minutes: 120, max_attempts: 5 },
    voicemail: { delay_minutes: 240, max_attempts: 3 } },
  objections: [
    { code: "dont_know", answer: "" }, { code: "need_nothing", answer: "" },
    { code: "busy", answer: "" },
  ],
  questionnaire_fields: [
    { name: "contact_person", label: _("Contact person"), type: "text", required: true },
    { name: "need", label: _("What they need"), type: "text", required: true },
    { name: "volume", label: _("Expected volume"), type: "number", required: false },
  ],
};

function edit(campaign) {
  editing = campaign;
  const form = $("campaign-form");
  form.reset();
  fill(form, campaign ?? NEW);
  $("editor-h").textContent = campaign ? _("Edit {name}", campaign) : _("New campaign");
  $("editor").hidden = false;
  $("c-name").focus();
}

function body(data) {
  const out = { retry: { busy: {}, no_answer: {}, voicemail: {} }, calling_window: {} };
  for (const [name, raw] of data) {
    const value = NUMBERS.includes(name) ? (raw === "" ? null : Number(raw)) : String(raw);
    const parts = name.split(".");
    let target = out;
    for (const part of parts.slice(0, -1)) target = target[part];
    target[parts.at(-1)] = value;
  }
  out.active = $("c-active").checked;
  out.objections = parseObjections(out.objections);
  out.questionnaire_fields = parseFields(out.questionnaire_fields);
  return out;
}

onSubmit($("campaign-form"), async (data) => {
  const json = body(data);
  const saved = editing
    ? await api("PATCH", `/campaigns/${editing.id}`, { json })
    : await api("POST", "/campaigns", { json });
  say(_("Saved: {name}", saved));
  $("editor").hidden = true;
  await list();
  await open(saved.id);
});

// ---- a campaign's page

async function open(id) {
  shown = await api("GET", `/campaigns/${id}`);
  $("campaign-h").textContent = shown.name;
  $("campaign").hidden = false;
  $("campaign").focus();
  await refresh();
  clearInterval(poll);
  poll = setInterval(refresh, POLL_MS);
}

async function refresh() {
  if (!shown) return;
  try {
    const stats = await api("GET", `/campaigns/${shown.id}/stats`);
    const counts = [[_("contacts"), stats.contacts], [_("callable now"), stats.callable_now],
      [_("on a call"), stats.leased], [_("in review"), stats.review]];
    $("stats").replaceChildren(...counts.map(([k, v]) =>
      el("div", {}, el("dt", {}, k), el("dd", {}, String(v)))));
    $("waiting").replaceChildren(...Object.entries(stats.waiting).flatMap(([k, v]) =>
      [el("dt", {}, WAITING[k] ?? k), el("dd", {}, String(v))]));
    const done = Object.entries(stats.done);
    $("done").replaceChildren(...(done.length ? done.flatMap(([k, v]) =>
      [el("dt", {}, DONE[k] ?? k), el("dd", {}, String(v))]) : [el("dd", {}, "–")]));
    const { items } = await page(`/campaigns/${shown.id}/imports`, {}, 20, 0);
    fillTable($("imports"), items.map((i) => [
      when(i.created_at), i.filename ?? "", STATUS[i.status] ?? i.status, String(i.rows),
      String(i.imported), String(i.duplicates), String(i.do_not_call),
      i.invalid ? button(_("{n} lines, CSV", { n: i.invalid }), () =>
        downloadRefused(i.id, i.filename)) : "0",
    ]), _("Nothing imported yet."));
  } catch (refusal) {
    say(explain(refusal));
  }
}

// The refused lines as a spreadsheet opens them, for the one who fixes and imports them again:
// the page's words (reasons included), its language's list separator ("," or ";": Russian
// Excel splits on ";") and a byte order mark, without which Excel misreads the Cyrillic. A cell
// that a spreadsheet would take for a formula is written with a leading "'", as the service's
// own CSV writes it; the API's CSV (`/imports/{id}/errors`) stays the scripts'.
const SEPARATOR = pgettext("the list separator of a CSV file", ",");
const FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"];
const QUOTED_FOR = [",", ";", "\"", "\n", "\r"];

function csvCell(value) {
  const text = String(value ?? "");
  const safe = FORMULA_STARTS.some((c) => text.startsWith(c)) ? `'${text}` : text;
  return QUOTED_FOR.some((c) => safe.includes(c)) ? `"${safe.replaceAll("\"", "\"\"")}"` : safe;
}

async function downloadRefused(importId, filename) {
  const lines = await api("GET", `/imports/${importId}/errors?format=json`);
  const rows = [[_("Line"), _("Reason"), _("The line as it was")],
    ...lines.map((e) => [e.line ?? "", lineReason(e.reason), e.raw])];
  const text = `\ufeff${rows.map((r) => r.map(csvCell).join(SEPARATOR)).join("\r\n")}\r\n`;
  const base = String(filename || "import").replace(/\.[^.]*$/, "");
  saveFile(new Blob([text], { type: "text/csv;charset=utf-8" }),
    _("{file}, refused lines.csv", { file: base }));
}

// Lines of the file, counted as it streams: the import's rows to come, for the bar.
async function countLines(file) {
  let n = 0;
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const byte of value) if (byte === 10) n += 1;
  }
  return Math.max(n, 1);
}

function send(file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/v1/campaigns/${shown.id}/imports`);
    request.setRequestHeader("Authorization", `Bearer ${sessionStorage.getItem("cascade.token")}`);
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch { /* not JSON */ }
      if (request.status === 202) resolve(answer);
      else reject({ body: answer, status: request.status });
    });
    request.addEventListener("error", () => reject({ body: { error: "network" } }));
    const form = new FormData();
    form.append("file", file);
    request.send(form);
  });
}

onSubmit($("upload"), async (data) => {
  const file = data.get("file");
  if (!file || !file.size) {
    throw { body: { error: "invalid_input", fields: [{ loc: ["body", "file"], msg: "required" }] } };
  }
  const bar = $("import-bar");
  $("import-progress").hidden = false;
  $("import-errors").replaceChildren();
  $("import-report").textContent = "";
  $("import-phase").textContent = _("Uploading…");
  const rowsToCome = countLines(file);
  let started;
  try {
    started = await send(file, (share) => { bar.value = Math.round(share * 100); });
  } catch (refusal) {
    // Refused as a whole: nothing is on its way, so no bar says so.
    $("import-progress").hidden = true;
    throw refusal;
  }
  $("import-phase").textContent = _("Importing…");
  const total = Math.max((await rowsToCome) - 1, 1);
  let report;
  for (;;) {
    report = await api("GET", `/imports/${started.import_id}`);
    bar.value = Math.min(100, Math.round((report.rows / total) * 100));
    $("import-report").textContent = _("{rows} rows read, {imported} imported", report);
    if (report.status !== "running") break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar.value = 100;
  $("import-phase").textContent = STATUS[report.status] ?? report.status;
  $("import-report").textContent = _(
    "{rows} rows: {imported} imported, {duplicates} duplicates, {do_not_call} on the do-not-call list, {invalid} refused.",
    report,
  );
  $("import-errors").replaceChildren(
    ...report.errors.slice(0, 20).map((e) =>
      el("li", {}, e.line ? _("Line {line}: {reason}", { ...e, reason: lineReason(e.reason) }) : e.reason)),
  );
  if (report.invalid) {
    // The lines' download is no line: not bulleted as one.
    $("import-errors").append(el("li", { class: "plain" }, button(_("Download the refused lines (CSV)"), () =>
      downloadRefused(started.import_id, file.name))));
  }
  $("upload").reset();
  await refresh();
});

$("new-campaign").addEventListener("click", () => edit(null));
$("cancel").addEventListener("click", () => { $("editor").hidden = true; });

if (await whoAmI(["supervisor", "admin"])) {
  const items = await list();
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted && items.some((c) => c.id === wanted)) await open(wanted);
  ready();
}
