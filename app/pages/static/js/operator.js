// The operator's console: attendance, the next call, its outcome, all from the keyboard.

import {
  $, DISPOSITIONS, OBJECTIONS, STATES, _, api, clearSuccess, el, explain, fieldLabel, follow,
  newKey, percent, say, whoAmI,
} from "./shared.js";
import { clearErrors, showRefusal as showFieldRefusal } from "./forms.js";
import { MY_ZONE, clockIn, instantToWall, intoWindow, wallToInstant } from "./time.js";

// Why no contact is callable now, by the API's reason.
const WHY = {
  outside_calling_window: _("outside the calling window in their local time"),
  retry_not_due: _("waiting for a retry"),
  callback_not_due: _("waiting for a scheduled callback"),
  exhausted: _("out of attempts"),
  do_not_call: _("on the do-not-call list"),
};

const state = { lease: null, heartbeat: null, retry: null, keys: new Map(), me: null,
  live: null, codes: [], labels: new Map() };
const call = $("call");
const outcome = $("outcome");
const BASE_TITLE = document.title;
const draftKey = (lease) => `cascade.draft.${lease.lease_id}`;

function tick() {
  const now = new Date();
  $("my-time").textContent = clockIn(MY_ZONE, now);
  $("my-zone").textContent = `(${MY_ZONE})`;
  if (state.lease) $("c-time").textContent = clockIn(state.lease.contact.timezone, now);
}

function showAttendance(me) {
  const clockedIn = Boolean(me.clocked_in);
  const shift = me.shift;
  let text = clockedIn ? _("You are clocked in") : _("You are not clocked in");
  if (shift) {
    const hours = `${clockIn(MY_ZONE, new Date(shift.starts_at))}–${clockIn(MY_ZONE, new Date(shift.ends_at))}`;
    text += ` · ${_("Shift")}: ${shift.name ?? ""} ${hours} (${MY_ZONE})`;
    if (shift.state) text += ` · ${STATES[shift.state] ?? shift.state}`;
  }
  $("attendance").textContent = text;
  $("clock-in").hidden = clockedIn;
  $("clock-out").hidden = !clockedIn;
  if (me.live) showLive(me.live);
}

async function loadBreakCodes() {
  const codes = await api("GET", "/break-codes");
  // Offered: the active ones; named: all, a break taken before its code was retired too.
  state.labels = new Map(codes.map((c) => [c.code, c.label]));
  state.codes = codes.filter((c) => c.active);
  $("break-code").replaceChildren(...state.codes.map((c) => el("option", { value: c.code },
    c.label)));
  if (state.live) showLive(state.live);
}

async function takeBreak(event) {
  event.preventDefault();
  try {
    showLive(await api("POST", "/me/pause", { json: { code: $("break-code").value } }));
  } catch (refusal) {
    showRefusal(refusal);
  }
}

async function endBreak() {
  try {
    showLive(await api("POST", "/me/resume"));
  } catch (refusal) {
    showRefusal(refusal);
  }
}

async function loadCallbacks() {
  const callbacks = await api("GET", "/me/callbacks");
  $("callbacks-none").hidden = callbacks.length > 0;
  $("callbacks").replaceChildren(...callbacks.map((c) => el("li", { class: c.due ? "due" : false },
    el("time", { datetime: c.at }, `${clockIn(MY_ZONE, new Date(c.at), true)} (${MY_ZONE})`),
    ` ${c.name || ""} ${c.company ? `· ${c.company}` : ""} · ${c.phone || ""}`,
    c.due ? el("strong", {}, ` — ${_("due")}`) : "")));
}

// The outcome being written survives a reload and a new login: kept per lease.
function saveDraft() {
  if (!state.lease) return;
  const draft = {};
  for (const input of outcome.querySelectorAll("[name]")) {
    if (input.type === "radio") {
      if (input.checked) draft[input.name] = input.value;
    } else if (input.type === "checkbox") draft[input.name] = input.checked;
    else draft[input.name] = input.value;
  }
  localStorage.setItem(draftKey(state.lease), JSON.stringify(draft));
}

function restoreDraft(lease) {
  const saved = localStorage.getItem(draftKey(lease));
  if (!saved) return;
  const draft = JSON.parse(saved);
  for (const input of outcome.querySelectorAll("[name]")) {
    if (!(input.name in draft)) continue;
    if (input.type === "radio") input.checked = input.value === draft[input.name];
    else if (input.type === "checkbox") input.checked = Boolean(draft[input.name]);
    else input.value = draft[input.name];
  }
  chooseDisposition(draft.disposition ?? null);
}

// A number arrived: say so in the tab's title and with a short tone.
function cue(lease) {
  document.title = `☎ ${lease.contact.phone} · ${BASE_TITLE}`;
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => audio.close();
  } catch {
    // No sound where the browser allows none; the title still says it.
  }
}

// Said beside the select, in the page's language, until an objection is chosen.
function objectionMissing(select) {
  clearSuccess();
  document.getElementById("objection-error")?.remove();
  select.after(el("span", { id: "objection-error", class: "field-error", role: "alert" },
    _("Choose the objection you heard.")));
  select.setAttribute("aria-invalid", "true");
  select.setAttribute("aria-describedby", "objection-error");
  select.addEventListener("change", () => {
    document.getElementById("objection-error")?.remove();
    select.removeAttribute("aria-invalid");
  }, { once: true });
  select.focus();
}

const breakLabel = (code) => state.labels.get(code) ?? code;

// Next-call refused: the operator's own break is said as its own, with its kind (it read as a
// supervisor's pause); the rest as every page says them.
function refusalWords(refusal) {
  const body = refusal.body;
  if (body.error !== "operator_paused" || body.reason !== "self") return explain(refusal);
  if (!body.break_code) return _("You are on a break: come back from it first.");
  const kind = breakLabel(body.break_code);
  return _("You are on a break ({kind}): come back from it first.", { kind });
}

// The operator's state as the floor sees it, with the supervisor's words when paused.
function showLive(live) {
  $("live-state").textContent = STATES[live.state] ?? live.state;
  $("live-state").dataset.state = live.state;
  $("live-since").textContent = live.since
    ? _("since {time}", { time: clockIn(MY_ZONE, new Date(live.since)) }) : "";
  $("live-why").textContent = (live.reasons || []).map((r) => {
    if (r.break_code) return breakLabel(r.break_code);
    if (!r.reason || r.code === "managers_saturated") return "";
    return `«${r.reason}»${r.by?.name ? `, ${r.by.name}` : ""}`;
  }).filter(Boolean).join("; ");
  state.live = live;
  const onBreak = live.state === "break";
  // Back from the break: its refusal no longer holds (the operator asks again with N).
  const refused = $("refusal").dataset;
  if (!onBreak && refused.code === "operator_paused" && refused.reason === "self") hideRefusal();
  $("end-break").hidden = !onBreak;
  $("break").hidden = onBreak || !live.clocked_in || Boolean(state.lease)
    || state.codes.length === 0;
  $("my-calls").textContent = live.calls;
  $("my-talk").textContent = Math.round(live.talk_seconds / 60);
  $("my-warm").textContent = live.warm_questionnaires;
  $("my-conversion").textContent = percent(live.conversion);
  // The refusal lifted: ask at once rather than at the next retry.
  if (state.retry && !state.lease && live.state === "idle") next();
}

async function refreshMe() {
  state.me = await api("GET", "/me");
  showAttendance(state.me);
  return state.me;
}

function stopRetry() {
  clearTimeout(state.retry);
  state.retry = null;
}

function showRefusal(refusal) {
  clearSuccess();
  const body = refusal.body;
  $("refusal-text").textContent = refusalWords(refusal);
  const why = $("refusal-why");
  why.replaceChildren();
  for (const [reason, count] of Object.entries(body.why || {})) {
    if (count > 0) why.append(el("li", {}, `${WHY[reason] ?? reason}: ${count}`));
  }
  const retryAfter = Number(body.retry_after);
  $("refusal-retry").textContent = retryAfter > 0
    ? _("The next number should be ready in about {minutes} min.", { minutes: Math.max(1, Math.ceil(retryAfter / 60)) }) : "";
  $("refusal").hidden = false;
  $("refusal").dataset.code = body.error;
  $("refusal").dataset.reason = body.reason ?? "";
}

function hideRefusal() {
  $("refusal").hidden = true;
  delete $("refusal").dataset.code;
  delete $("refusal").dataset.reason;
}

// Seconds to wait before asking again on a refusal that lifts by itself; none otherwise (the
// operator's own break ends when the operator ends it).
function retryDelay(body) {
  switch (body.error) {
    case "queue_empty": return Math.min(300, Math.max(5, Number(body.retry_after) || 30));
    case "operator_paused": return body.reason === "self" ? null : 5;
    case "dialer_paused": case "shift_paused": return 5;
    case "no_open_shift": return 30;
    default: return null;
  }
}

async function next() {
  if (state.lease) return;
  stopRetry();
  try {
    showLease(await api("POST", "/dialer/next"));
  } catch (refusal) {
    showRefusal(refusal);
    if (refusal.code === "not_clocked_in" || refusal.code === "no_open_shift") {
      refreshMe().catch(() => {});
    }
    // The operator asked for a number: keep asking while the refusal is one that lifts.
    const delay = retryDelay(refusal.body);
    if (delay) state.retry = setTimeout(next, delay * 1000);
  }
}

function showLease(lease) {
  state.lease = lease;
  state.keys.clear();
  hideRefusal();
  const { contact, campaign } = lease;
  $("c-name").textContent = contact.name || contact.phone;
  $("c-company").textContent = contact.company || _("—");
  $("c-zone").textContent = `(${contact.timezone})`;
  $("c-attempt").textContent = lease.attempt_no;
  const callback = lease.callback;
  $("c-callback-label").hidden = $("c-callback").hidden = !callback;
  if (callback) {
    const at = new Date(callback.at ?? callback.callback_at ?? callback);
    $("c-callback").textContent = Number.isNaN(at.getTime()) ? JSON.stringify(callback)
      : `${clockIn(contact.timezone, at, true)} (${contact.timezone})`;
  }
  $("lease-until").textContent = `${clockIn(MY_ZONE, new Date(lease.expires_at))} (${MY_ZONE})`;
  const tel = $("dial-tel");
  tel.href = lease.dial?.tel || `tel:${contact.phone}`;
  tel.textContent = `${_("Dial")} ${contact.phone}`;
  const sip = $("dial-sip");
  sip.hidden = !lease.dial?.sip;
  if (lease.dial?.sip) sip.href = lease.dial.sip;
  $("c-fields").replaceChildren(...Object.entries(contact.fields || {}).flatMap(
    ([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))]));
  $("script").textContent = campaign.script || "";
  $("objections").replaceChildren(...(campaign.objections || []).flatMap((o) => [
    el("dt", {}, OBJECTIONS[o.code] ?? o.code), el("dd", {}, o.answer)]));
  // No objection is chosen for the operator: not-interested needs the one heard.
  $("objection").replaceChildren(el("option", { value: "" }, _("— choose the objection —")),
    ...(campaign.objections || []).map(
      (o) => el("option", { value: o.code }, OBJECTIONS[o.code] ?? o.code)));
  const history = contact.history || [];
  $("c-history").replaceChildren(...(history.length ? history.map((h) => el("li", {},
    el("time", { datetime: h.at }, clockIn(MY_ZONE, new Date(h.at), true)), " ",
    DISPOSITIONS[h.disposition] ?? h.disposition,
    h.objection ? ` · ${OBJECTIONS[h.objection] ?? h.objection}` : "",
    h.notes ? ` — ${h.notes}` : "")) : [el("li", { class: "hint" }, _("Never called before."))]));
  const hours = campaign.calling_window;
  $("callback-zone").textContent = hours
    ? `(${contact.timezone}; ${_("calls {start}–{end}", hours)})` : `(${contact.timezone})`;
  buildQuestionnaire(campaign.questionnaire_fields || []);
  outcome.reset();
  clearErrors(outcome);
  // The picker speaks the contact's wall clock: an hour from now there, or the calling
  // window's next opening after it, a time the outcome takes.
  $("callback-at").min = instantToWall(new Date(), contact.timezone);
  const inAnHour = instantToWall(new Date(Date.now() + 3600 * 1000), contact.timezone);
  $("callback-at").value = hours ? intoWindow(inAnHour, hours) : inAnHour;
  chooseDisposition(null);
  restoreDraft(lease);
  $("idle").hidden = true;
  // One number at a time: the button asks for none while this one is out.
  $("next").disabled = true;
  $("break").hidden = true;
  call.hidden = false;
  tick();
  keepAlive();
  cue(lease);
  tel.focus();
}

function buildQuestionnaire(fields) {
  const box = $("questionnaire");
  box.replaceChildren(box.querySelector("legend") || el("legend", {}, _("Questionnaire")));
  const types = { number: "number", phone: "tel", email: "email", date: "date" };
  for (const field of fields) {
    const id = `q-${field.name}`;
    let input;
    if (field.type === "choice") {
      input = el("select", { id, name: field.name, required: field.required },
        el("option", { value: "" }, ""),
        ...(field.choices || []).map((c) => el("option", { value: c }, c)));
    } else if (field.type === "bool") {
      input = el("input", { id, name: field.name, type: "checkbox" });
    } else {
      input = el("input", {
        id, name: field.name, type: types[field.type] || "text", required: field.required,
      });
    }
    input.dataset.type = field.type;
    const mark = field.required ? " *" : "";
    box.append(el("p", {}, el("label", { for: id }, fieldLabel(field.name, field.label) + mark),
      input));
  }
}

function chooseDisposition(value) {
  for (const box of outcome.querySelectorAll("fieldset[data-for]")) {
    const on = box.dataset.for === value;
    box.hidden = !on;
    // Disabled fields are neither validated nor sent.
    box.disabled = !on;
  }
}

function keepAlive() {
  clearTimeout(state.heartbeat);
  const lease = state.lease;
  if (!lease) return;
  const left = new Date(lease.expires_at).getTime() - Date.now();
  const wait = Math.max(5000, left / 3);
  state.heartbeat = setTimeout(async () => {
    if (state.lease !== lease) return;
    try {
      const beat = await api("POST", `/leases/${lease.lease_id}/heartbeat`);
      lease.expires_at = beat.expires_at;
      $("lease-until").textContent = `${clockIn(MY_ZONE, new Date(beat.expires_at))} (${MY_ZONE})`;
      keepAlive();
    } catch (refusal) {
      if (refusal.code === "network") keepAlive();
      else endLease(refusal);
    }
  }, wait);
}

function endLease(refusal) {
  clearTimeout(state.heartbeat);
  if (state.lease) localStorage.removeItem(draftKey(state.lease));
  document.title = BASE_TITLE;
  state.lease = null;
  if (state.live) showLive(state.live);
  call.hidden = true;
  $("idle").hidden = false;
  if (refusal) showRefusal(refusal);
  $("next").disabled = false;
  $("next").focus();
}

function outcomeBody() {
  const data = new FormData(outcome);
  const disposition = data.get("disposition");
  const body = { disposition };
  const notes = (data.get("notes") || "").trim();
  if (notes) body.notes = notes;
  if (disposition === "not_interested") body.objection = data.get("objection");
  if (disposition === "callback") {
    body.callback_at = wallToInstant(data.get("callback_at"), state.lease.contact.timezone);
    body.callback_scope = data.get("callback_scope");
  }
  if (disposition === "warm") {
    body.questionnaire = {};
    for (const input of $("questionnaire").querySelectorAll("[name]")) {
      if (input.type === "checkbox") body.questionnaire[input.name] = input.checked;
      else if (input.value === "") continue;
      else if (input.dataset.type === "number") body.questionnaire[input.name] = Number(input.value);
      else body.questionnaire[input.name] = input.value;
    }
  }
  return body;
}

async function record(event) {
  event.preventDefault();
  const lease = state.lease;
  if (!lease) return;
  const objection = $("objection");
  if (!objection.disabled && !objection.closest("fieldset").disabled && !objection.value) {
    objectionMissing(objection);
    return;
  }
  clearErrors(outcome);
  if (!outcome.reportValidity()) return;
  const body = outcomeBody();
  if (body.disposition === "do_not_call"
    && !confirm(_("The number goes on the do-not-call list in every campaign. Go on?"))) return;
  // One key per lease and body: a retry of the same outcome is the same request.
  const signature = JSON.stringify(body);
  if (!state.keys.has(signature)) state.keys.set(signature, newKey());
  const button = outcome.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await api("POST", `/leases/${lease.lease_id}/outcome`,
      { json: body, key: state.keys.get(signature) });
    endLease(null);
    hideRefusal();
    say(answer.questionnaire_id ? _("The questionnaire went to a manager.") : _("Outcome recorded."));
    loadCallbacks().catch(() => {});
  } catch (refusal) {
    if (refusal.code === "lease_expired" || refusal.code === "lease_closed") endLease(refusal);
    // A field refused (a callback outside the calling hours) is said beside it, in words.
    else if (refusal.body?.fields?.length) showFieldRefusal(outcome, refusal);
    else showRefusal(refusal);
  } finally {
    button.disabled = false;
  }
}

async function release() {
  const lease = state.lease;
  if (!lease) return;
  try {
    await api("POST", `/leases/${lease.lease_id}/release`);
    endLease(null);
    // Said, or the skip looked like nothing happened.
    say(_("Back in the queue: {phone}", { phone: lease.contact.phone }));
  } catch (refusal) {
    endLease(refusal);
  }
}

async function attend(path) {
  if (path.endsWith("clock-out") && state.lease) {
    if (!confirm(_("You are on a call: the number goes back to the queue. Clock out anyway?"))) {
      return;
    }
    await release();
  }
  try {
    await api("POST", path);
    hideRefusal();
    await refreshMe();
  } catch (refusal) {
    showRefusal(refusal);
  }
}

function typing(target) {
  return target.closest("input:not([type=radio]):not([type=checkbox]), textarea, select");
}

function onKey(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && state.lease) {
    outcome.requestSubmit();
    event.preventDefault();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if ((event.key === "n" || event.key === "N" || event.code === "KeyN") && !state.lease) {
    event.preventDefault();
    next();
    return;
  }
  const radios = outcome.querySelectorAll("input[name=disposition]");
  const index = Number(event.key) - 1;
  if (state.lease && index >= 0 && index < radios.length) {
    event.preventDefault();
    radios[index].checked = true;
    radios[index].focus();
    chooseDisposition(radios[index].value);
  }
}

outcome.addEventListener("change", (event) => {
  if (event.target.name === "disposition") chooseDisposition(event.target.value);
});
outcome.addEventListener("submit", record);
outcome.addEventListener("input", saveDraft);
outcome.addEventListener("change", saveDraft);
$("break").addEventListener("submit", takeBreak);
$("end-break").addEventListener("click", endBreak);
$("release").addEventListener("click", release);
$("next").addEventListener("click", next);
$("clock-in").addEventListener("click", () => attend("/shifts/current/clock-in"));
$("clock-out").addEventListener("click", () => attend("/shifts/current/clock-out"));
document.addEventListener("keydown", onKey);
setInterval(tick, 1000);
tick();

whoAmI(["operator"]).then(async (me) => {
  if (!me) return;
  state.me = me;
  showAttendance(me);
  loadBreakCodes().catch(() => {});
  loadCallbacks().catch(() => {});
  setInterval(() => loadCallbacks().catch(() => {}), 60000);
  // The console follows the floor without a key press: a pause, its reason, a resume.
  follow("/me/stream", (name, data) => {
    if (name !== "me") return;
    state.me = data;
    showAttendance(data);
  }, refreshMe);
  // A lease held from before a reload comes back from next-call unchanged.
  if (me.lease_id) await next();
  else $("next").focus();
}).catch((refusal) => showRefusal(refusal));
