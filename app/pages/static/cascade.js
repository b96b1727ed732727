// Cascade's pages: fill the server-rendered shells from the /api/v1 JSON API.
// Every rule and role check lives in the API; this script only asks and shows.
"use strict";

(() => {
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const HOMES = JSON.parse(document.getElementById("homes").textContent);
  const PAGE = document.body.dataset.page;
  const LANG = document.documentElement.lang;
  const API = "/api/v1";
  const TOKEN = "cascade.token";
  const MY_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const POLL_MS = 3000;
  const RECONNECT_MS = 5000;
  const $ = (id) => document.getElementById(id);

  // ---- words, elements, time

  function t(key, params = {}) {
    let text = T[key] ?? key;
    for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, value);
    return text;
  }

  function el(tag, attrs = {}, ...children) {
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

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    for (const child of children.flat()) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clockIn(zone, date = new Date(), withDate = false) {
    const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDate) Object.assign(options, { day: "2-digit", month: "2-digit" });
    return new Intl.DateTimeFormat(LANG, options).format(date);
  }

  // The offset of a zone at an instant, in minutes east of UTC.
  function offsetMinutes(zone, date) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(date);
    const part = (type) => Number(parts.find((p) => p.type === type).value);
    const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"),
      part("minute"), part("second"));
    return Math.round((wall - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  }

  const pad = (n) => String(n).padStart(2, "0");

  // "2026-12-01T15:30" read as a wall time in the zone -> "2026-12-01T15:30:00+03:00".
  function wallToInstant(local, zone) {
    const [day, time] = local.split("T");
    const [y, mo, d] = day.split("-").map(Number);
    const [h, mi] = time.split(":").map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    // Twice: the offset at the guess may differ from the offset at the answer (DST).
    let offset = offsetMinutes(zone, new Date(wall));
    offset = offsetMinutes(zone, new Date(wall - offset * 60000));
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    return `${day}T${pad(h)}:${pad(mi)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  // The wall time of an instant in a zone, in datetime-local's format.
  function instantToWall(date, zone) {
    const shifted = new Date(date.getTime() + offsetMinutes(zone, date) * 60000);
    return shifted.toISOString().slice(0, 16);
  }

  // Today's date where the reader is, as the API's date parameters want it.
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: MY_ZONE }).format(new Date());
  }

  function newKey() {
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

  async function api(method, path, { json, form, key } = {}) {
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
    if (response.status === 401 && PAGE !== "login") expired();
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.blob();
    if (!response.ok) throw new Refusal(response.status, data);
    return data;
  }

  // A refusal in words: the sentence, then details (why the queue is empty).
  function explain(refusal) {
    const body = refusal.body || {};
    if (PAGE === "login" && body.error === "unauthenticated") return t("error.login_failed");
    if (body.error === "dialer_paused" && T[`error.dialer_paused.${body.reason}`]) {
      return t(`error.dialer_paused.${body.reason}`);
    }
    return T[`error.${body.error}`] ?? t("error.error");
  }

  // Good news fades; a problem stays, red, until dismissed or fixed.
  let messageTimer;
  function say(text) {
    solved();
    const box = $("message");
    box.textContent = text;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { box.textContent = ""; }, 8000);
  }

  function problem(text) {
    clearTimeout(messageTimer);
    $("message").textContent = "";
    $("problem-text").textContent = text;
    $("problem").hidden = false;
  }

  function solved() {
    const box = $("problem");
    if (box) box.hidden = true;
  }

  // A refusal said where it belongs: beside each field it names, else at the top.
  function refused(refusal, form = null) {
    const fields = refusal.body?.fields || [];
    let placed = false;
    for (const f of fields) {
      const name = (f.loc || []).at(-1);
      const input = form?.querySelector(`[name="${CSS.escape(String(name))}"]`);
      if (input) {
        fieldError(input, t("common.required"));
        placed = true;
      }
    }
    if (!placed) problem(explain(refusal));
  }

  // A field's own error, red, right after it; gone once the field changes.
  function fieldError(input, text) {
    clearFieldError(input);
    const id = `${input.id || input.name}-error`;
    const anchor = input.type === "radio" ? input.closest("fieldset").querySelector("legend")
      : input;
    anchor.after(el("span", { id, class: "field-error", role: "alert" }, text));
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    for (const kind of ["input", "change"]) {
      input.addEventListener(kind, () => clearFieldError(input), { once: true });
    }
  }

  function clearFieldError(input) {
    document.getElementById(`${input.id || input.name}-error`)?.remove();
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }

  // The form's invalid fields, each said beside itself in the page's language.
  function checkForm(form, words = {}) {
    let first = null;
    const said = new Set();
    for (const input of form.querySelectorAll("input, select, textarea")) {
      if (input.disabled || input.checkValidity() || said.has(input.name)) continue;
      said.add(input.name);
      fieldError(input, words[input.name] ?? t("common.required"));
      first ??= input;
    }
    first?.focus();
    return first === null;
  }

  // A live stream over fetch, since EventSource cannot send the bearer token. Returns when
  // the stream ends, whatever the cause.
  async function stream(path, onEvent) {
    const headers = { Accept: "text/event-stream",
      Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` };
    const response = await fetch(API + path, { headers });
    if (response.status === 401) expired();
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

  // Follow a stream; while it is down, poll instead, and try the stream again soon.
  function follow(path, onEvent, poll) {
    let polling = null;
    const fallBack = () => {
      document.body.dataset.live = "polling";
      if (polling === null) {
        poll();
        polling = setInterval(poll, POLL_MS);
      }
    };
    const connect = async () => {
      try {
        await stream(path, (name, data) => {
          document.body.dataset.live = "stream";
          clearInterval(polling);
          polling = null;
          onEvent(name, data);
        });
      } catch {
        // Dropped: the page polls until the stream is back.
      }
      fallBack();
      setTimeout(connect, RECONNECT_MS);
    };
    connect();
  }

  function expired() {
    // The outcome's draft stays in localStorage: it is there again after logging in.
    sessionStorage.removeItem(TOKEN);
    location.assign("/");
  }

  // Why dialing stops: what is paused, for which reason, by whom, since when.
  function reasonWords(reasons) {
    return (reasons || []).map((r) => {
      let words = `${t(`pause.${r.scope}`)}: ${T[`reason.${r.code}`] ?? r.code}`;
      if (r.break_code) words += ` (${breakLabels.get(r.break_code) ?? r.break_code})`;
      // A supervisor's reason is a person's words; the saturation check's is a log line.
      if (r.reason && r.code !== "managers_saturated") words += ` «${r.reason}»`;
      if (r.by?.name && r.code !== "self") words += `, ${r.by.name}`;
      return `${words}, ${clockIn(MY_ZONE, new Date(r.since))}`;
    }).join("; ");
  }

  const breakLabels = new Map();

  function minutesSince(iso) {
    return iso ? Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000)) : 0;
  }

  function homeOf(me) {
    return HOMES[`desk.${me.user?.desk}`] ?? HOMES[me.role] ?? "/";
  }

  async function whoAmI(roles) {
    if (!sessionStorage.getItem(TOKEN)) {
      location.assign("/");
      return null;
    }
    const me = await api("GET", "/me");
    if (!roles.includes(me.role) || (PAGE === "manager" && homeOf(me) !== "/manager"
      && me.role === "manager")) {
      location.assign(homeOf(me));
      return null;
    }
    $("who").textContent = me.user.name || me.user.login;
    return me;
  }

  // ---- login

  function loginPage() {
    const form = $("login");
    const error = $("login-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      error.hidden = true;
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const token = await api("POST", "/auth/token", { form: new FormData(form) });
        sessionStorage.setItem(TOKEN, token.access_token);
        const me = await api("GET", "/me");
        location.assign(homeOf(me));
      } catch (refusal) {
        error.textContent = explain(refusal);
        error.hidden = false;
        button.disabled = false;
        $("password").select();
      }
    });
  }

  // ---- operator console

  function operatorPage() {
    const state = { lease: null, heartbeat: null, retry: null, keys: new Map(), me: null,
      live: null, codes: [] };
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
      let text = clockedIn ? t("operator.clocked_in") : t("operator.not_clocked_in");
      if (shift) {
        const hours = `${clockIn(MY_ZONE, new Date(shift.starts_at))}–${clockIn(MY_ZONE, new Date(shift.ends_at))}`;
        text += ` · ${t("operator.shift")}: ${shift.name ?? ""} ${hours} (${MY_ZONE})`;
        if (shift.state) text += ` · ${t(`state.${shift.state}`)}`;
      }
      $("attendance").textContent = text;
      $("clock-in").hidden = clockedIn;
      $("clock-out").hidden = !clockedIn;
      if (me.live) showLive(me.live);
    }

    // The operator's state as the floor sees it, with the supervisor's words when paused.
    function showLive(live) {
      state.live = live;
      $("live-state").textContent = t(`state.${live.state}`);
      $("live-state").dataset.state = live.state;
      $("live-since").textContent = live.since
        ? t("live.since", { time: clockIn(MY_ZONE, new Date(live.since)) }) : "";
      $("live-why").textContent = reasonWords(live.reasons);
      const onBreak = live.state === "break";
      $("end-break").hidden = !onBreak;
      $("break").hidden = onBreak || !live.clocked_in || Boolean(state.lease)
        || state.codes.length === 0;
      $("my-calls").textContent = live.calls;
      $("my-talk").textContent = Math.round(live.talk_seconds / 60);
      $("my-warm").textContent = live.warm_questionnaires;
      $("my-conversion").textContent = live.conversion === null ? "–"
        : `${Math.round(live.conversion * 1000) / 10}%`;
      // The refusal lifted: ask at once rather than at the next retry.
      if (state.retry && !state.lease && live.state === "idle") next();
    }

    async function loadBreakCodes() {
      const codes = await api("GET", "/break-codes");
      for (const c of codes) breakLabels.set(c.code, c.label);
      state.codes = codes.filter((c) => c.active);
      $("break-code").replaceChildren(...state.codes.map((c) => el("option", { value: c.code },
        c.label)));
      if (state.live) showLive(state.live);
    }

    async function takeBreak(event) {
      event.preventDefault();
      try {
        showLive(await api("POST", "/me/pause", { json: { code: $("break-code").value } }));
        solved();
      } catch (refusal) {
        refused(refusal, $("break"));
      }
    }

    async function endBreak() {
      try {
        showLive(await api("POST", "/me/resume"));
        solved();
      } catch (refusal) {
        problem(explain(refusal));
      }
    }

    async function loadCallbacks() {
      const callbacks = await api("GET", "/me/callbacks");
      $("callbacks-none").hidden = callbacks.length > 0;
      $("callbacks").replaceChildren(...callbacks.map((c) => el("li", { class: c.due ? "due" : false },
        el("time", { datetime: c.at }, `${clockIn(MY_ZONE, new Date(c.at), true)} (${MY_ZONE})`),
        " ", c.name || "", " ", c.company ? `· ${c.company}` : "", " · ", c.phone || "",
        c.due ? el("strong", {}, ` — ${t("operator.due")}`) : "")));
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
        if (count > 0) why.append(el("li", {}, `${t(`why.${reason}`)}: ${count}`));
      }
      const retryAfter = Number(body.retry_after);
      $("refusal-retry").textContent = retryAfter > 0
        ? t("queue.retry_after", { minutes: Math.max(1, Math.ceil(retryAfter / 60)) }) : "";
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
      $("c-company").textContent = contact.company || t("common.none");
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
      tel.textContent = `${t("operator.dial")} ${contact.phone}`;
      const sip = $("dial-sip");
      sip.hidden = !lease.dial?.sip;
      if (lease.dial?.sip) sip.href = lease.dial.sip;
      $("c-fields").replaceChildren(...Object.entries(contact.fields || {}).flatMap(
        ([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))]));
      $("script").textContent = campaign.script || "";
      $("objections").replaceChildren(...(campaign.objections || []).flatMap((o) => [
        el("dt", {}, T[`objection.${o.code}`] ?? o.code), el("dd", {}, o.answer)]));
      // No objection is chosen for the operator: not-interested needs the one heard.
      $("objection").replaceChildren(el("option", { value: "" }, t("operator.choose_objection")),
        ...(campaign.objections || []).map(
          (o) => el("option", { value: o.code }, T[`objection.${o.code}`] ?? o.code)));
      const history = contact.history || [];
      $("c-history").replaceChildren(...(history.length ? history.map((h) => el("li", {},
        el("time", { datetime: h.at }, `${clockIn(MY_ZONE, new Date(h.at), true)}`), " ",
        t(`disposition.${h.disposition}`),
        h.objection ? ` · ${T[`objection.${h.objection}`] ?? h.objection}` : "",
        h.notes ? ` — ${h.notes}` : "")) : [el("li", { class: "hint" }, t("operator.no_history"))]));
      $("callback-zone").textContent = `(${contact.timezone})`;
      buildQuestionnaire(campaign.questionnaire_fields || []);
      outcome.reset();
      // The picker speaks the contact's wall clock: an hour from now, there.
      $("callback-at").min = instantToWall(new Date(), contact.timezone);
      $("callback-at").value = instantToWall(new Date(Date.now() + 3600 * 1000), contact.timezone);
      chooseDisposition(null);
      restoreDraft(lease);
      $("idle").hidden = true;
      $("break").hidden = true;
      call.hidden = false;
      tick();
      keepAlive();
      cue(lease);
      tel.focus();
    }

    function buildQuestionnaire(fields) {
      const box = $("questionnaire");
      box.replaceChildren(box.querySelector("legend") || el("legend", {}, t("operator.questionnaire")));
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
      if (state.lease) localStorage.removeItem(draftKey(state.lease));
      for (const note of outcome.querySelectorAll(".field-error")) note.remove();
      document.title = BASE_TITLE;
      state.lease = null;
      if (state.live) showLive(state.live);
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
      if (!lease) return;
      if (!checkForm(outcome, { objection: t("operator.objection_needed") })) return;
      const body = outcomeBody();
      if (body.disposition === "do_not_call" && !confirm(t("operator.confirm_dnc"))) return;
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
        say(answer.questionnaire_id ? t("operator.saved_warm") : t("operator.saved"));
        loadCallbacks().catch(() => {});
      } catch (refusal) {
        if (refusal.code === "lease_expired" || refusal.code === "lease_closed") endLease(refusal);
        else refused(refusal, outcome);
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
      if (path.endsWith("clock-out") && state.lease) {
        if (!confirm(t("operator.confirm_clock_out"))) return;
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
      }, () => refreshMe().catch(() => {}));
      // A lease held from before a reload comes back from next-call unchanged.
      if (me.lease_id) await next();
      else $("next").focus();
    }).catch((refusal) => showRefusal(refusal));
  }

  // ---- supervisor dashboard

  function supervisorPage() {
    let status = null;

    function showStatus(s) {
      status = s;
      $("dialer-state").textContent = t(`state.${s.state}`);
      $("dialer-state").dataset.state = s.state;
      $("dialer-reasons").textContent = reasonWords(s.reasons);
      // Only a supervisor's pause of the dialer is resumed here: a shift's is resumed with
      // its shift, and the managers' saturation lifts by itself.
      const held = (s.reasons || []).some((r) => r.scope === "dialer" && r.code === "supervisor");
      $("dialer-resume").hidden = !held;
      $("dialer-pause").hidden = held;
      const waiting = Object.values(s.queue?.waiting || {}).reduce((a, b) => a + b, 0);
      for (const key of ["ready", "leased", "callbacks_due"]) {
        $(`queue-${key}`).textContent = s.queue?.[key] ?? "–";
      }
      $("queue-waiting").textContent = waiting;
      $("campaigns").replaceChildren(...(s.campaigns || []).map((c) => el("tr", {},
        el("th", { scope: "row" }, c.name), el("td", {}, c.callable_now),
        el("td", {}, c.waiting.outside_calling_window), el("td", {}, c.waiting.retry_not_due),
        el("td", {}, c.waiting.callback_not_due))));
      showManagers(s.managers || {});
      showShift(s.shift);
      alerts();
    }

    // What a supervisor should look at now; each rule says its threshold in DEVELOPERS.md.
    const IDLE_ALERT_MIN = 5;
    const BREAK_ALERT_MIN = 20;
    const EMPTY_WITHIN_MIN = 15;
    let operatorsNow = [];

    function alerts() {
      const found = [];
      // The floor's pace: calls a minute, as many as operators working a number or ready.
      const working = operatorsNow.filter((o) => !["off", "offline", "break", "paused"]
        .includes(o.state)).length;
      for (const c of status?.campaigns || []) {
        if (working > 0 && c.callable_now < working * EMPTY_WITHIN_MIN) {
          found.push(t("alert.queue_empties", { name: c.name,
            minutes: Math.max(1, Math.floor(c.callable_now / working)) }));
        }
      }
      const m = status?.managers || {};
      const high = Math.ceil(((m.capacity || 0) * (m.high_mark_percent ?? 100)) / 100);
      if (!m.saturated && high > 0 && m.open >= high * 0.8) {
        found.push(t("alert.saturation", { open: m.open, capacity: m.capacity }));
      }
      for (const o of operatorsNow) {
        const minutes = minutesSince(o.since);
        if (o.state === "idle" && minutes >= IDLE_ALERT_MIN) {
          found.push(t("alert.idle", { name: o.name || o.login, minutes }));
        }
        if (o.state === "break" && minutes >= BREAK_ALERT_MIN) {
          found.push(t("alert.break", { name: o.name || o.login, minutes }));
        }
      }
      $("alerts").replaceChildren(...found.map((text) => el("li", {}, text)));
      $("alerts-box").hidden = found.length === 0;
    }

    function showShift(shift) {
      $("shift-name").textContent = shift ? shift.name : t("supervisor.no_shift");
      $("shift-state").textContent = shift ? t(`state.${shift.state}`) : "";
      $("shift-hours").textContent = shift
        ? `${clockIn(MY_ZONE, new Date(shift.starts_at))}–${clockIn(MY_ZONE, new Date(shift.ends_at))} (${MY_ZONE})`
        : "";
      $("shift-pause").hidden = !shift || shift.state !== "open";
      $("shift-resume").hidden = !shift || shift.state !== "paused";
    }

    // The MPK backlog against capacity, with the marks where dialing pauses and resumes.
    function showManagers(managers) {
      const open = Number(managers.open) || 0;
      const capacity = Number(managers.capacity) || 0;
      const high = Math.ceil((capacity * (managers.high_mark_percent ?? 100)) / 100);
      const low = managers.resume_at_open ?? null;
      $("managers-load").textContent = `${open} / ${capacity}`;
      const words = low === null || capacity === 0 ? [] : [t("supervisor.marks", { high, low })];
      if (managers.saturated && managers.resume_estimate) {
        const at = new Date(managers.resume_estimate);
        words.push(t("supervisor.resume_estimate", { time: `${clockIn(MY_ZONE, at)} (${MY_ZONE})` }));
      }
      $("managers-marks").textContent = words.join(" ");
      const scale = Math.max(open, capacity, 1) * 1.1;
      const x = (n) => (n / scale) * 300;
      const marks = [high, low].filter((n) => n !== null && capacity > 0);
      $("managers-meter").replaceChildren(svg("svg",
        { viewBox: "0 0 300 24", width: "100%", height: "24", role: "img",
          "aria-label": `${t("supervisor.managers")}: ${open} / ${capacity}. ${words.join(" ")}` },
        svg("rect", { x: 0, y: 4, width: 300, height: 16, class: "track" }),
        svg("rect", { x: 0, y: 4, width: x(open), height: 16,
          class: managers.saturated ? "bar over" : "bar" }),
        ...marks.map((m) => svg("line", { x1: x(m), x2: x(m), y1: 0, y2: 24, class: "mark" }))));
    }

    function showOperators(operators) {
      operatorsNow = operators;
      const rows = operators.map((o) => {
        const id = o.id;
        const paused = o.paused;
        const action = paused
          ? el("button", { type: "button", "data-resume": id }, t("supervisor.resume"))
          : el("form", { class: "inline", "data-pause": id },
            el("label", { for: `reason-${id}`, class: "sr" }, t("common.reason")),
            el("input", { id: `reason-${id}`, name: "reason", required: true, maxlength: 500,
              placeholder: t("common.reason") }),
            el("button", { type: "submit" }, t("supervisor.pause")));
        const why = reasonWords(o.reasons);
        const aht = o.calls ? Math.round(o.talk_seconds / o.calls) : "–";
        const conversion = o.conversion === null ? "–" : `${Math.round(o.conversion * 1000) / 10}%`;
        return el("tr", { "data-operator": id },
          el("th", { scope: "row" }, o.name || o.login),
          el("td", { "data-state": o.state }, t(`state.${o.state}`)),
          el("td", {}, o.since ? t("live.for", { minutes: minutesSince(o.since) }) : "–",
            why ? el("small", { class: "why" }, el("br"), why) : ""),
          el("td", {}, o.calls),
          el("td", {}, Math.round(o.talk_seconds / 60)),
          el("td", {}, aht),
          el("td", {}, o.warm_questionnaires),
          el("td", {}, conversion),
          el("td", {}, action));
      });
      const tbody = $("operators");
      // Keep a reason being typed: do not rebuild while focus is inside the table.
      if (tbody.contains(document.activeElement)) return;
      tbody.replaceChildren(...rows);
    }

    function showFunnel(report) {
      const hours = report.by_hour_of_shift || [];
      const hour = (h) => t("supervisor.hour", { n: h.hour });
      $("chart-calls").replaceChildren(barChart(
        hours.map((h) => ({ label: hour(h), values: [h.attempts, h.warm] })),
        [{ name: t("supervisor.calls"), cls: "calls" }, { name: t("supervisor.warm"), cls: "warm" }]));
      $("chart-conversion").replaceChildren(barChart(
        hours.map((h) => ({ label: hour(h), values: [Math.round((h.conversion ?? 0) * 1000) / 10] })),
        [{ name: t("supervisor.conversion"), cls: "warm" }], "%"));
      $("chart-objections").replaceChildren(barChart(
        (report.objections || []).map((o) => ({
          label: T[`objection.${o.code}`] ?? o.code, values: [o.count] })),
        [{ name: t("supervisor.heard"), cls: "calls" }]));
      const stages = ["contacts", "attempts", "reached", "warm", "first_order", "working",
        "regular", "key_account"];
      const line = (g, name) => el("tr", {}, el("th", { scope: "row" }, name),
        ...stages.map((k) => el("td", {}, g.stages?.[k] ?? g[k] ?? 0)),
        el("td", {}, g.conversion === null || g.conversion === undefined ? "–"
          : `${Math.round(g.conversion * 1000) / 10}%`));
      $("funnel").replaceChildren(
        ...(report.by_operator || []).map((g) => line(g, g.name || g.operator_id || "–")),
        ...(report.by_campaign || []).map((g) => line(g, g.name || g.campaign_id || "–")));
    }

    function showOverdue(late) {
      $("managers-overdue").textContent = t("supervisor.overdue", { n: late.length });
      $("managers-overdue").className = late.length ? "overdue" : "hint";
    }

    // Each part shows what it got; one refusal does not blank the others.
    async function refresh(live = true) {
      const period = new URLSearchParams({ from: today(), to: today(), tz: MY_ZONE });
      const parts = [[`/reports/funnel?${period}`, showFunnel],
        ["/questionnaires?overdue=true", showOverdue]];
      if (live) parts.unshift(["/operators/live", showOperators], ["/dialer/status", showStatus]);
      const answers = await Promise.allSettled(parts.map(([path]) => api("GET", path)));
      answers.forEach((answer, i) => {
        if (answer.status === "fulfilled") parts[i][1](answer.value);
      });
      const refused = answers.find((answer) => answer.status === "rejected");
      if (refused) throw refused.reason;
      $("updated").textContent = clockIn(MY_ZONE, new Date());
    }

    // The funnel and the overdue count change slowly: asked every half minute.
    async function slowly() {
      try {
        await refresh(false);
      } catch (refusal) {
        problem(explain(refusal));
      } finally {
        setTimeout(slowly, 30000);
      }
    }

    function start() {
      follow("/floor/stream", (name, data) => {
        if (name !== "floor") return;
        showOperators(data.operators);
        showStatus(data.status);
        $("updated").textContent = clockIn(MY_ZONE, new Date());
      }, () => refresh().catch((refusal) => problem(explain(refusal))));
      slowly();
    }

    async function act(path, json) {
      try {
        await api("POST", path, { json });
      } catch (refusal) {
        problem(explain(refusal));
        return false;
      }
      await refresh().catch((refusal) => problem(explain(refusal)));
      return true;
    }

    $("dialer-pause").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!event.target.reportValidity()) return;
      if (await act("/dialer/pause", { reason: $("dialer-reason").value })) event.target.reset();
    });
    $("dialer-resume").addEventListener("click", () => act("/dialer/resume"));
    $("shift-pause").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!status?.shift || !event.target.reportValidity()) return;
      if (await act(`/shifts/${status.shift.id}/pause`, { reason: $("shift-reason").value })) {
        event.target.reset();
      }
    });
    $("shift-resume").addEventListener("click", () => {
      if (status?.shift) act(`/shifts/${status.shift.id}/resume`);
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
    whoAmI(["supervisor", "admin"]).then((me) => { if (me) start(); })
      .catch((refusal) => problem(explain(refusal)));
  }

  // Bars in inline SVG: rows of {label, values}, one value per series.
  function barChart(rows, series, unit = "") {
    if (!rows.length) return el("p", { class: "hint" }, t("supervisor.no_data"));
    const [W, H, left, bottom, top] = [360, 120, 34, 18, 12];
    const max = Math.max(1, ...rows.flatMap((r) => r.values));
    const band = (W - left) / rows.length;
    const width = Math.min(36, (band * 0.7) / series.length);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const said = rows.map((r) => `${r.label}: ${r.values.map((v) => v + unit).join(" / ")}`);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", class: "chart",
      role: "img", "aria-label": said.join("; ") },
    svg("line", { x1: left, x2: W, y1: H - bottom, y2: H - bottom, class: "axis" }),
    svg("text", { x: left - 4, y: top + 4, "text-anchor": "end" }, `${max}${unit}`));
    rows.forEach((row, i) => {
      const start = left + (i + 0.5) * band - (width * series.length) / 2;
      row.values.forEach((value, j) => {
        chart.append(svg("rect", { x: start + j * width, y: y(value), width: Math.max(1, width - 2),
          height: H - bottom - y(value), class: series[j].cls },
        svg("title", {}, `${row.label} · ${series[j].name}: ${value}${unit}`)));
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
      problem(explain(refusal));
    }
  }

  // ---- manager page

  // The steps the page offers from each status; the API still decides and refuses the rest.
  const NEXT_STATUS = { new: ["in_progress"], in_progress: ["first_order", "lost"] };

  function managerPage() {
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
      const answers = Object.entries(q.answers || {}).flatMap(([name, value]) => [
        el("dt", {}, q.labels?.[name] ?? name),
        el("dd", {}, typeof value === "boolean" ? (value ? "✓" : "—") : String(value))]);
      if (q.notes) answers.push(el("dt", {}, t("manager.notes")), el("dd", {}, q.notes));
      const history = (q.history || []).map((h) => el("li", {},
        `${clockIn(MY_ZONE, new Date(h.at), true)} ${t(`disposition.${h.disposition}`)}`,
        h.notes ? ` — ${h.notes}` : ""));
      if (history.length) {
        answers.push(el("dt", {}, t("manager.history")), el("dd", {}, el("ol", { class: "history" },
          history)));
      }
      const late = Boolean(q.overdue);
      const status = el("td", { "data-status": q.status }, t(`status.${q.status}`));
      if (late) status.append(" ", el("strong", { class: "overdue" }, t("manager.overdue")));
      if (q.amount !== null && q.amount !== undefined) {
        answers.push(el("dt", {}, t("manager.amount")), el("dd", {}, money(q.amount)));
      }
      if (q.reason) answers.push(el("dt", {}, t("common.reason")), el("dd", {}, q.reason));
      const created = new Date(q.created_at);
      return el("tr", { "data-id": q.id, class: late ? "late" : false },
        el("td", {}, el("time", { datetime: q.created_at },
          `${clockIn(MY_ZONE, created, true)} (${MY_ZONE})`)),
        el("th", { scope: "row" }, q.company || t("common.none")),
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
      if (!checkForm(form)) return;
      const json = { status: form.elements.status.value };
      if (json.status === "first_order") json.amount = form.elements.amount.value;
      if (json.status === "lost") json.reason = form.elements.reason.value;
      try {
        await api("POST", `/questionnaires/${form.dataset.id}/status`, { json });
        say(t("manager.saved"));
        document.activeElement.blur();
        await load();
      } catch (refusal) {
        refused(refusal, form);
      }
    });

    const loop = () => load().catch((refusal) => problem(explain(refusal)))
      .finally(() => setTimeout(loop, 15000));
    whoAmI(["manager", "supervisor", "admin"]).then((me) => { if (me) loop(); })
      .catch((refusal) => problem(explain(refusal)));
  }

  function money(amount) {
    return new Intl.NumberFormat(LANG, { maximumFractionDigits: 2 }).format(Number(amount));
  }

  // ---- accounts: the MRK's and KAM's clients

  const STAGES = ["working", "regular", "key_account"];

  function accountsPage() {
    const template = $("order-form");

    function account(a) {
      const form = template.content.firstElementChild.cloneNode(true);
      form.dataset.id = a.id;
      form.elements.amount.id = `amount-${a.id}`;
      const share = Number(a.plan_volume) ? Math.min(100, (100 * Number(a.turnover)) / Number(a.plan_volume)) : 0;
      const steps = (a.handoffs || []).map((h) => el("li", {},
        `${clockIn(MY_ZONE, new Date(h.at), true)} `,
        `${h.from_stage ? t(`accounts.stage.${h.from_stage}`) : "—"} → ${t(`accounts.stage.${h.to_stage}`)}`,
        h.reason ? ` — ${h.reason}` : ""));
      return el("tr", { "data-id": a.id },
        el("th", { scope: "row" }, a.company || t("common.none")),
        el("td", {}, `${money(a.turnover)} / ${money(a.plan_volume)}`,
          el("div", { class: "meter", role: "img",
            "aria-label": `${Math.round(share)}%` }, el("span", { style: `width: ${share}%` }))),
        el("td", {}, a.orders),
        el("td", {}, el("ol", { class: "history" }, steps)),
        el("td", {}, form));
    }

    async function load() {
      const list = await api("GET", "/accounts");
      const full = await Promise.all(list.map((a) => api("GET", `/accounts/${a.id}`)));
      const box = $("stages");
      if (box.contains(document.activeElement)) return;
      box.replaceChildren(...STAGES.map((stage) => {
        const mine = full.filter((a) => a.stage === stage);
        if (!mine.length) return "";
        return el("section", { class: "card", "aria-labelledby": `stage-${stage}` },
          el("h2", { id: `stage-${stage}` }, `${t(`accounts.stage.${stage}`)} · ${mine.length}`),
          el("div", { class: "scroll" }, el("table", {},
            el("thead", {}, el("tr", {}, ...["accounts.company", "accounts.turnover",
              "accounts.orders", "accounts.handoffs", "accounts.add_order"].map(
              (k) => el("th", { scope: "col" }, t(k))))),
            el("tbody", {}, mine.map(account)))));
      }));
      $("empty").hidden = full.length > 0;
    }

    $("stages").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      if (!checkForm(form)) return;
      try {
        await api("POST", `/accounts/${form.dataset.id}/orders`,
          { json: { amount: form.elements.amount.value }, key: newKey() });
        say(t("accounts.order_added"));
        document.activeElement.blur();
        await load();
      } catch (refusal) {
        refused(refusal, form);
      }
    });

    const loop = () => load().catch((refusal) => problem(explain(refusal)))
      .finally(() => setTimeout(loop, 30000));
    whoAmI(["manager", "supervisor", "admin"]).then((me) => { if (me) loop(); })
      .catch((refusal) => problem(explain(refusal)));
  }

  // The time conversions, for the tests to check against known zones.
  window.Cascade = { wallToInstant, instantToWall };

  const pages = { login: loginPage, operator: operatorPage, supervisor: supervisorPage,
    manager: managerPage, accounts: accountsPage };
  $("problem-close")?.addEventListener("click", solved);
  // Ready at once, before the page has asked who it is.
  $("logout")?.addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN);
    location.assign("/");
  });
  pages[PAGE]?.();
})();
