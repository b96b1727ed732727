// The operator's console: attendance, the next call, its outcome, all from the keyboard.

import {
  $, OBJECTIONS, STATES, _, api, el, explain, newKey, say, whoAmI,
} from "./shared.js";
import { MY_ZONE, clockIn, instantToWall, wallToInstant } from "./time.js";

// Why no contact is callable now, by the API's reason.
const WHY = {
  outside_calling_window: _("outside the calling window in their local time"),
  retry_not_due: _("waiting for a retry"),
  callback_not_due: _("waiting for a scheduled callback"),
  exhausted: _("out of attempts"),
  do_not_call: _("on the do-not-call list"),
};

const state = { lease: null, heartbeat: null, retry: null, keys: new Map(), me: null };
const call = $("call");
const outcome = $("outcome");

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
  const body = refusal.body;
  $("refusal-text").textContent = explain(refusal);
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
}

function hideRefusal() {
  $("refusal").hidden = true;
  delete $("refusal").dataset.code;
}

// Seconds to wait before asking again on a refusal that lifts by itself; none otherwise.
function retryDelay(body) {
  switch (body.error) {
    case "queue_empty": return Math.min(300, Math.max(5, Number(body.retry_after) || 30));
    case "dialer_paused": case "shift_paused": case "operator_paused": return 5;
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
  $("objection").replaceChildren(...(campaign.objections || []).map(
    (o) => el("option", { value: o.code }, OBJECTIONS[o.code] ?? o.code)));
  $("callback-zone").textContent = `(${contact.timezone})`;
  buildQuestionnaire(campaign.questionnaire_fields || []);
  outcome.reset();
  // The picker speaks the contact's wall clock: an hour from now, there.
  $("callback-at").min = instantToWall(new Date(), contact.timezone);
  $("callback-at").value = instantToWall(new Date(Date.now() + 3600 * 1000), contact.timezone);
  chooseDisposition(null);
  $("idle").hidden = true;
  call.hidden = false;
  tick();
  keepAlive();
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
    box.append(el("p", {}, el("label", { for: id }, field.label + mark), input));
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
  state.lease = null;
  call.hidden = true;
  $("idle").hidden = false;
  if (refusal) showRefusal(refusal);
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
  if (!lease || !outcome.reportValidity()) return;
  const body = outcomeBody();
  // One key per lease and body: a retry of the same outcome is the same request.
  const signature = JSON.stringify(body);
  if (!state.keys.has(signature)) state.keys.set(signature, newKey());
  const button = outcome.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await api("POST", `/leases/${lease.lease_id}/outcome`,
      { json: body, key: state.keys.get(signature) });
    say(answer.questionnaire_id ? _("The questionnaire went to a manager.") : _("Outcome recorded."));
    endLease(null);
  } catch (refusal) {
    if (refusal.code === "lease_expired" || refusal.code === "lease_closed") endLease(refusal);
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
  } catch (refusal) {
    endLease(refusal);
  }
}

async function attend(path) {
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
  // A lease held from before a reload comes back from next-call unchanged.
  if (me.lease_id) await next();
  else $("next").focus();
}).catch((refusal) => showRefusal(refusal));
