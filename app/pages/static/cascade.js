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
    if (response.status === 401 && PAGE !== "login") {
      sessionStorage.removeItem(TOKEN);
      location.assign("/");
    }
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
    let text = T[`error.${body.error}`] ?? body.detail ?? t("error.error");
    if (Array.isArray(body.fields) && body.fields.length) {
      const where = body.fields.map((f) => `${(f.loc || []).slice(1).join(".")}: ${f.msg}`);
      text += ` (${where.join("; ")})`;
    }
    return text;
  }

  let messageTimer;
  function say(text) {
    const box = $("message");
    box.textContent = text;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { box.textContent = ""; }, 8000);
  }

  async function whoAmI(roles) {
    if (!sessionStorage.getItem(TOKEN)) {
      location.assign("/");
      return null;
    }
    const me = await api("GET", "/me");
    if (!roles.includes(me.role)) {
      location.assign(HOMES[me.role] || "/");
      return null;
    }
    $("who").textContent = me.user.name || me.user.login;
    $("logout").addEventListener("click", async () => {
      // The token stops working at the service too, not only in this tab.
      try {
        await api("POST", "/auth/logout");
      } catch {
        // Already revoked or the network is down: this tab forgets it all the same.
      }
      sessionStorage.removeItem(TOKEN);
      location.assign("/");
    });
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
        location.assign(HOMES[me.role] || "/");
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
      let text = clockedIn ? t("operator.clocked_in") : t("operator.not_clocked_in");
      if (shift) {
        const hours = `${clockIn(MY_ZONE, new Date(shift.starts_at))}–${clockIn(MY_ZONE, new Date(shift.ends_at))}`;
        text += ` · ${t("operator.shift")}: ${shift.name ?? ""} ${hours} (${MY_ZONE})`;
        if (shift.state) text += ` · ${t(`state.${shift.state}`)}`;
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
      $("objection").replaceChildren(...(campaign.objections || []).map(
        (o) => el("option", { value: o.code }, T[`objection.${o.code}`] ?? o.code)));
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
        say(answer.questionnaire_id ? t("operator.saved_warm") : t("operator.saved"));
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
  }

  // ---- supervisor dashboard

  const POLL_MS = 3000;

  function supervisorPage() {
    let status = null;

    // Why dialing stops: what is paused, for which reason, by whom, since when.
    function reasonWords(reasons) {
      return (reasons || []).map((r) => {
        let words = `${t(`pause.${r.scope}`)}: ${T[`reason.${r.code}`] ?? r.code}`;
        // A supervisor's reason is a person's words; the saturation check's is a log line.
        if (r.reason && r.code !== "managers_saturated") words += ` «${r.reason}»`;
        if (r.by?.name) words += `, ${r.by.name}`;
        return `${words}, ${clockIn(MY_ZONE, new Date(r.since))}`;
      }).join("; ");
    }

    function showStatus(s) {
      status = s;
      $("dialer-state").textContent = t(`state.${s.state}`);
      $("dialer-state").dataset.state = s.state;
      $("dialer-reasons").textContent = reasonWords(s.reasons);
      $("dialer-resume").hidden = s.state !== "paused";
      for (const key of ["ready", "leased", "callbacks_due"]) {
        $(`queue-${key}`).textContent = s.queue?.[key] ?? "–";
      }
      showManagers(s.managers || {});
      showShift(s.shift);
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
        const lease = o.lease;
        return el("tr", { "data-operator": id },
          el("th", { scope: "row" }, o.name || o.login),
          el("td", { "data-state": o.state }, t(`state.${o.state}`)),
          el("td", {}, lease ? t("supervisor.since", { time: clockIn(MY_ZONE, new Date(lease.since)) }) : ""),
          el("td", {}, o.calls),
          el("td", {}, o.warm_questionnaires),
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
    }

    // Each part shows what it got; one refusal does not blank the others.
    async function refresh() {
      const period = new URLSearchParams({ from: today(), to: today(), tz: MY_ZONE });
      const parts = [["/dialer/status", showStatus], ["/operators/live", showOperators],
        [`/reports/funnel?${period}`, showFunnel]];
      const answers = await Promise.allSettled(parts.map(([path]) => api("GET", path)));
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

    async function act(path, json) {
      try {
        await api("POST", path, { json });
      } catch (refusal) {
        say(explain(refusal));
        return false;
      }
      await refresh().catch((refusal) => say(explain(refusal)));
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
    whoAmI(["supervisor", "admin"]).then((me) => { if (me) poll(); })
      .catch((refusal) => say(explain(refusal)));
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
      say(explain(refusal));
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
      const answers = Object.entries(q.answers || {}).flatMap(
        ([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))]);
      const late = Boolean(q.overdue);
      const status = el("td", { "data-status": q.status }, t(`status.${q.status}`));
      if (late) status.append(" ", el("strong", { class: "overdue" }, t("manager.overdue")));
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
      if (!form.reportValidity()) return;
      const json = { status: form.elements.status.value };
      if (json.status === "first_order") json.amount = form.elements.amount.value;
      if (json.status === "lost") json.reason = form.elements.reason.value;
      try {
        await api("POST", `/questionnaires/${form.dataset.id}/status`, { json });
        say(t("manager.saved"));
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
  }

  // The time conversions, for the tests to check against known zones.
  window.Cascade = { wallToInstant, instantToWall };

  const pages = { login: loginPage, operator: operatorPage, supervisor: supervisorPage,
    manager: managerPage };
  pages[PAGE]?.();
})();
