// What every page shares: the words, building elements, the API with the bearer token,
// refusals in words, the header (who is logged in, logging out).
// Every rule and role check lives in the API; the pages only ask and show.

import { instantToWall, wallToInstant } from "./time.js";

// The compiled catalog of the page's language, keyed as gettext keys it (see app/pages/i18n.py).
const WORDS = JSON.parse(document.getElementById("i18n").textContent);
const HOMES = JSON.parse(document.getElementById("homes").textContent);

// The page a user lands on: its role's, or for a manager past the first order its desk's.
export function homeOf(me) {
  const desk = me.role === "manager" ? HOMES.desks[me.user.desk] : undefined;
  return desk || HOMES.roles[me.role] || "/";
}
export const PAGE = document.body.dataset.page;
const API = "/api/v1";
const TOKEN = "cascade.token";
export const $ = (id) => document.getElementById(id);

// ---- words: gettext's names, so that `pybabel extract` finds every message

function fill(text, params) {
  for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, value);
  return text;
}

export function _(message, params = {}) {
  return fill(WORDS[message] ?? message, params);
}

export function pgettext(context, message, params = {}) {
  return fill(WORDS[`${context}\u0004${message}`] ?? message, params);
}

// The refusals of API.md by code; an unknown code shows the API's own detail.
const REFUSALS = {
  error: _("The request was refused."),
  network: _("The server cannot be reached. Check the network and try again."),
  unauthenticated: _("Log in again: your session expired or was revoked."),
  login_failed: _("Wrong login or password."),
  forbidden: _("Your role does not allow this."),
  not_found: _("There is no such thing."),
  invalid_input: _("Check the form's fields."),
  conflict: _("This cannot be done now."),
  login_taken: _("That login is already taken."),
  own_account: _("You cannot deactivate yourself: another admin does."),
  invalid_file: _("Not a readable CSV with a phone column: nothing was imported."),
  idempotency_key_reused: _("This key was already used for another request."),
  not_rostered: _("You are not on the roster of the open shift."),
  no_open_shift: _("No shift is open now."),
  not_clocked_in: _("Clock in to the open shift first."),
  shift_paused: _("The shift is paused by a supervisor."),
  operator_paused: _("A supervisor has paused you."),
  dialer_paused: _("Dialing is paused."),
  queue_empty: _("There is no one to call now."),
  invalid_transition: _("That change is not allowed from the current state."),
  lease_expired: _("Your time on this number ran out: the contact went back to the queue."),
  lease_closed: _("This call has already been recorded."),
  shift_closed: _("The shift is closed: its roster and attendance no longer change."),
  too_many_requests: _("Too many requests: wait a moment and try again."),
  public_url_unset: _("The service's address is not set: ask an admin to set CASCADE_PUBLIC_URL."),
  break_code_taken: _("That break code already exists."),
  no_manager_room: _("No other acquisition manager has room for it now."),
  erased_number: _("This number was erased at its owner's request and stays suppressed."),
  not_audio: _("That is not a WAV, Ogg or MP3 recording."),
  truncated_audio: _("The recording is cut short: send the whole file again."),
  too_large: _("The file is too large."),
  recording_exists: _("This call already has another recording."),
  already_reviewed: _("This call has already been reviewed."),
  consent_required: _("This campaign needs the contact's consent for a warm questionnaire."),
};

// Why dialing is paused, when the refusal says.
const DIALER_PAUSED = {
  managers_saturated: _("Dialing is paused: the acquisition managers are saturated with " +
    "questionnaires. It resumes when they have room again."),
  clients_saturated: _("Dialing is paused: the development managers (MRK) are full with " +
    "new clients. It resumes when they have room again."),
  supervisor: _("Dialing is paused by a supervisor."),
};

// The states of the dialer, shifts and operators, as the API names them.
export const STATES = {
  running: _("running"),
  paused: _("paused"),
  planned: _("planned"),
  open: _("open"),
  closed: _("closed"),
  off: _("off shift"),
  idle: _("waiting for a number"),
  on_lease: pgettext("operator state", "on a call"),
  ringing: pgettext("operator state", "dialing"),
  talking: pgettext("operator state", "talking"),
  wrap_up: pgettext("operator state", "wrapping up"),
  break: pgettext("operator state", "on a break"),
  offline: pgettext("operator state", "offline"),
};

// A dropped stream is tried again after a random wait of at least RECONNECT_LEAST_MS and at
// most RECONNECT_FIRST_MS, twice as long at most after each try that brought no event, up to
// RECONNECT_MOST_MS. A service restarting drops every console of the floor in one instant:
// tried again after one fixed wait, they would all come back in one burst, and again in step
// after each try the burst made fail.
const RECONNECT_LEAST_MS = 1000;
const RECONNECT_FIRST_MS = 10000;
const RECONNECT_MOST_MS = 60000;

// How long to wait before trying a stream again after `failures` tries that brought no event.
export function reconnectDelay(failures, random = Math.random) {
  const most = Math.min(RECONNECT_MOST_MS, RECONNECT_FIRST_MS * 2 ** failures);
  return RECONNECT_LEAST_MS + random() * (most - RECONNECT_LEAST_MS);
}

// A live stream over fetch, since EventSource cannot send the bearer token. Returns when
// the stream ends, whatever the cause.
async function stream(path, onEvent) {
  const headers = { Accept: "text/event-stream",
    Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` };
  const response = await fetch(API + path, { headers });
  if (!response.ok || !response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

// Follow a stream; while it is down, try it again soon (`reconnectDelay`), and after each try
// that fails, poll once instead. A dropped stream is most often back at its next try, and a
// poll is dear (`GET /me` took 18.6 ms of the service's CPU: 3,000 consoles polling every 3 s
// while their streams were down would ask for 18 cores), so a page polls as seldom as it tries,
// each at its own moment. `body[data-live]` says which
// (`stream`, or `polling` while the stream is down), for the tests. A poll that cannot reach the
// service (`poll` returning a promise refused so) is said in the message line, since what the
// page shows may then be out of date, and taken back once the stream or a poll answers again.
export function follow(path, onEvent, poll) {
  let failures = 0;
  let unreachable = null;
  const reached = () => {
    if (unreachable !== null) clearMessage(unreachable);
    unreachable = null;
  };
  const lost = (refusal) => {
    if (refusal?.body?.error === "network" && unreachable === null) {
      unreachable = explain(refusal);
      warn(unreachable);
    }
  };
  const connect = async () => {
    let heard = false;
    try {
      await stream(path, (name, data) => {
        heard = true;
        document.body.dataset.live = "stream";
        reached();
        onEvent(name, data);
      });
    } catch {
      // Dropped, or never opened: tried again below.
    }
    document.body.dataset.live = "polling";
    failures = heard ? 0 : failures + 1;
    if (!heard) Promise.resolve(poll()).then(reached, lost);
    setTimeout(connect, reconnectDelay(failures));
  };
  connect();
}

// A sum of money in the reader's language, as money is written: a whole sum without decimals,
// any other with exactly two ("150 000,50", where "150 000,5" read as a different number). No
// currency: the service is told none, so none is guessed.
export function money(amount) {
  const cents = Math.round(Number(amount) * 100) % 100 !== 0;
  const digits = cents ? 2 : 0;
  return new Intl.NumberFormat(document.documentElement.lang, {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(Number(amount));
}

// A sum as a form's number input takes it back, in the plain form a user types: "100000" for
// the API's "100000.00", "150000.50" otherwise.
export function plainMoney(amount) {
  return String(amount).replace(/\.0+$/, "");
}

// A share (0.333) as a percentage the page's language writes: "33,3 %" in Russian, "33.3%" in
// English; "–" for none.
export function percent(share) {
  if (share === null || share === undefined) return "–";
  return new Intl.NumberFormat(document.documentElement.lang, {
    style: "percent", maximumFractionDigits: 1,
  }).format(share);
}

// The days of the week by their ISO number (Monday = 1), as the API numbers them.
export const WEEKDAYS = {
  1: _("Mon"), 2: _("Tue"), 3: _("Wed"), 4: _("Thu"), 5: _("Fri"), 6: _("Sat"), 7: _("Sun"),
};

// An attempt's disposition, as the API names it.
export const DISPOSITIONS = {
  no_answer: _("No answer"),
  busy: _("Busy"),
  voicemail: _("Voicemail"),
  wrong_number: _("Wrong number"),
  not_interested: _("Not interested"),
  callback: _("Callback"),
  warm: _("Warm questionnaire"),
  do_not_call: _("Do not call"),
};

// The default questionnaire's labels (`DEFAULT_QUESTIONNAIRE_FIELDS`) in the page's language;
// a label the campaign gave a field of its own, or changed, stands as written.
const DEFAULT_FIELDS = {
  contact_person: ["Contact person", _("Contact person")],
  need: ["What they need", _("What they need")],
  volume: ["Expected volume", _("Expected volume")],
};

export function fieldLabel(name, label) {
  const known = DEFAULT_FIELDS[name];
  return known && (label === known[0] || label == null) ? known[1] : label ?? name;
}

// An account's stage, in words: the accounts' page and a contact's card.
export const STAGES = {
  working: _("Working"),
  regular: _("Regular"),
  key_account: _("Key account"),
};

// The objections a campaign knows; a campaign's own codes show as they are.
export const OBJECTIONS = {
  dont_know: _("I don't know"),
  need_nothing: _("We need nothing"),
  busy: _("I'm busy"),
};

// ---- elements

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  // Text only: data from the API never becomes markup.
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- the API

class Refusal extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body && typeof body === "object" ? body : { error: "error" };
    this.code = this.body.error;
  }
}

export async function api(method, path, { json, form, key } = {}) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (form) body = new URLSearchParams(form);
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  if (key) headers["Idempotency-Key"] = key;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body });
  } catch {
    throw new Refusal(0, { error: "network" });
  }
  if (response.status === 401 && PAGE !== "login") {
    sessionStorage.removeItem(TOKEN);
    location.assign("/");
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.blob();
  if (!response.ok) throw new Refusal(response.status, data);
  return data;
}

export function keepToken(token) {
  sessionStorage.setItem(TOKEN, token);
}

// ---- refusals and messages

// A refusal in words: the sentence, then details (which fields).
export function explain(refusal) {
  const text = refusalWords(refusal);
  explained.add(text);
  return text;
}

function refusalWords(refusal) {
  const body = refusal.body || {};
  if (PAGE === "login" && body.error === "unauthenticated") return REFUSALS.login_failed;
  if (body.error === "dialer_paused" && DIALER_PAUSED[body.reason]) {
    return DIALER_PAUSED[body.reason];
  }
  let text = REFUSALS[body.error] ?? body.detail ?? REFUSALS.error;
  if (Array.isArray(body.fields) && body.fields.length) {
    const where = body.fields.map((f) => `${(f.loc || []).slice(1).join(".")}: ${f.msg}`);
    text += ` (${where.join("; ")})`;
  }
  return text;
}

// The page's messages. A success is said in the message line and fades after a while; it
// clears every error shown before it, so "Saved" never stands beside a stale error. An error is
// red, in words, next to what caused it (`near`, else the message line, which stays in view),
// and stays until dismissed or until the next success; it takes a success still standing away
// (`clearSuccess`), so a new error never stands below a stale "Saved" either.
let messageTimer;
const ERRORS = "action-error";
const explained = new Set();

function clearErrorsShown() {
  for (const note of document.querySelectorAll(`.${ERRORS}`)) {
    if (note.id === "message") continue;
    note.remove();
  }
  clearMessage();
}

// Empty the message line; only while it says `text`, when given.
function clearMessage(text = null) {
  const box = $("message");
  if (text !== null && box.querySelector(".error-text")?.textContent !== text) return;
  box.classList.remove(ERRORS);
  box.setAttribute("role", "status");
  box.replaceChildren();
}

// Take the success the message line says away, if it says one: a new error is shown.
export function clearSuccess() {
  const box = $("message");
  if (box.classList.contains(ERRORS)) return;
  clearTimeout(messageTimer);
  box.replaceChildren();
}

export function say(text) {
  // A page that still says a refusal through `say` gets it shown as an error all the same.
  if (explained.has(text)) {
    warn(text);
    return;
  }
  clearErrorsShown();
  const box = $("message");
  box.textContent = text;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { if (box.textContent === text) box.textContent = ""; }, 8000);
}

function dismissible(node, text) {
  const close = el("button", { type: "button", class: "quiet dismiss", "aria-label": _("Dismiss") }, "×");
  close.addEventListener("click", () => {
    if (node.id === "message") clearErrorsShown();
    else node.remove();
  });
  node.replaceChildren(el("span", { class: "error-text" }, text), close);
}

// Show a refusal (or words) as an error, next to `near` when given.
export function warn(refusal, near = null) {
  const text = typeof refusal === "string" ? refusal : explain(refusal);
  clearSuccess();
  if (near) {
    const id = `${near.id || "action"}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = el("p", { class: ERRORS, id, role: "alert" });
      near.insertAdjacentElement("afterend", note);
    }
    dismissible(note, text);
    return;
  }
  const box = $("message");
  box.classList.add(ERRORS);
  box.setAttribute("role", "alert");
  dismissible(box, text);
}

// ---- the header

// The logged-in user, shown in the header, if their role may use the page; else off to theirs.
export async function whoAmI(roles) {
  if (!sessionStorage.getItem(TOKEN)) {
    location.assign("/");
    return null;
  }
  const me = await api("GET", "/me");
  if (!roles.includes(me.role)) {
    location.assign(homeOf(me));
    return null;
  }
  $("who").textContent = me.user.name || me.user.login;
  return me;
}

// Logging out ends the token at the service too, not only in this tab; it needs nothing the
// page loads, so it works before the page has loaded its data.
$("logout")?.addEventListener("click", async () => {
  try {
    await api("POST", "/auth/logout");
  } catch {
    // Already revoked, or the network is down: this tab forgets it all the same.
  }
  sessionStorage.removeItem(TOKEN);
  location.assign("/");
});

// The time conversions, for the tests to check against known zones.
window.Cascade = { wallToInstant, instantToWall };
