// What the floor's pages share: forms whose refusals show next to their fields, tables,
// lists with pages, dates and downloads. Every rule stays in the API; the forms only ask.

import { $, _, api, clearSuccess, el, explain, pgettext } from "./shared.js";

// The field a refusal's `loc` names: the input whose dotted name is the longest prefix
// of the location after "body" or "query" ("calling_window.start", "objections").
function fieldFor(form, loc) {
  const path = (loc || []).filter((part) => part !== "body" && part !== "query").join(".");
  let best = null;
  for (const input of form.querySelectorAll("[name]")) {
    const name = input.name;
    if ((path === name || path.startsWith(`${name}.`)) && (!best || name.length > best.name.length)) {
      best = input;
    }
  }
  // A refusal of a group (the calling window) goes next to its first field.
  return best ?? [...form.querySelectorAll("[name]")].find((i) => i.name.startsWith(`${path}.`)) ?? null;
}

// The API's words for a field, in the page's language where we know them.
const FIELD_WORDS = {
  "Field required": _("Required."),
  required: _("Required."),
  "not a valid phone number": _("Not a valid phone number."),
  "unknown time zone": _("Unknown time zone."),
  "start must be before end": _("The start must be before the end."),
  "names must be unique": _("Each name only once."),
  "managers only": _("Only managers have a desk."),
  "at least 10 characters": _("At least 10 characters."),
  "must not contain the login": _("Must not contain the login."),
  "too common or too easy to guess": _("Too common or too easy to guess."),
  "wrong password": _("Wrong password."),
  "not an active operator": _("Not an active operator."),
  "overlaps another record": _("Overlaps another clock-in."),
  "outside the shift or in the future": _("Outside the shift or in the future."),
  "before the clock-in or outside the shift": _("Before the clock-in or outside the shift."),
  "a date or an instant with its offset": _("A date, please."),
  "must be in the future": _("That time has passed."),
  "a choice field needs its choices": _("A choice field needs its choices after a colon."),
  // A period's end before its start, or a period longer than the service lists at once.
  "out of range": _("Not before the start, and at most 92 days after it."),
  "required, above 0": _("More than 0."),
  "must be greater than 0": _("More than 0."),
  "Input should be greater than 0": _("More than 0."),
};

// The API's words that carry a value, and the page's words for them.
const FIELD_PATTERNS = [
  [/^outside the calling window (\S+) in the contact's time zone$/,
    ([, hours]) => _("Outside the calling hours, {hours} on the contact's clock.", { hours })],
  [/^at most (\d+) days ahead$/, ([, n]) => _("At most {n} days ahead.", { n })],
  // An amount past the column's digits: pydantic's words name the digits, not the sum.
  [/no more than \d+ digits? (in total|before the decimal point)$/, () => _("Too large.")],
  [/no more than (\d+) decimal places?$/, ([, n]) => _("At most {n} digits after the point.", { n })],
  [/^unknown required mark "(.*)" on line (\d+)$/, ([, mark, line]) => _(
    "Line {line}: “{mark}” is not a required mark. Write “{required}” or leave it empty.",
    { line, mark, required: pgettext("questionnaire field", "required") })],
  [/^more than four columns on line (\d+)$/, ([, line]) => _(
    "Line {line} has more than four columns: name | label | type | required.", { line })],
];

function fieldWords(msg) {
  if (FIELD_WORDS[msg]) return FIELD_WORDS[msg];
  for (const [pattern, words] of FIELD_PATTERNS) {
    const found = pattern.exec(msg);
    if (found) return words(found);
  }
  // An empty field: pydantic's "at least 1 character" is a field left blank.
  if (/at least 1 character\b/.test(msg)) return _("Required.");
  if (/at least \d+ character/.test(msg)) return _("Too short.");
  if (/at most \d+ character/.test(msg)) return _("Too long.");
  if (/greater than or equal|less than or equal|valid integer|valid number|valid decimal/.test(msg)) {
    return _("Not a valid number for this field.");
  }
  if (/pattern|valid time|valid UUID|Input should be/.test(msg)) return _("Not a valid value.");
  return msg;
}

// Clear a form's messages.
export function clearErrors(form) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  const box = form.querySelector(".form-error");
  if (box) box.hidden = true;
}

// Conflicts that concern one field of the form they answer: said beside it, as a field's own
// message is (a login taken was said under the whole form).
const CONFLICT_FIELDS = { login_taken: "login", break_code_taken: "code" };

// Show a refusal: each field's message next to it, the rest at the form's top.
export function showRefusal(form, refusal) {
  clearErrors(form);
  clearSuccess();
  const fields = Array.isArray(refusal.body?.fields) ? [...refusal.body.fields] : [];
  const about = CONFLICT_FIELDS[refusal.code];
  if (about && form.querySelector(`[name="${about}"]`)) {
    fields.push({ loc: ["body", about], msg: explain(refusal) });
  }
  const unplaced = [];
  for (const field of fields) {
    const input = fieldFor(form, field.loc);
    if (!input) {
      unplaced.push(`${(field.loc || []).slice(1).join(".")}: ${fieldWords(field.msg)}`);
      continue;
    }
    const id = `${input.id || input.name}-error`;
    if (!document.getElementById(id)) {
      // A field left empty and refused is one that must be filled ("not a valid time" for an
      // empty start read as if something typed were wrong).
      const empty = input.type !== "checkbox" && !input.validity?.badInput
        && String(input.value ?? "").trim() === "";
      const words = empty ? _("Required.") : fieldWords(field.msg);
      const note = el("span", { class: "field-error", id, role: "alert" }, words);
      input.insertAdjacentElement("afterend", note);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
    }
  }
  const box = form.querySelector(".form-error");
  if (box) {
    const sentence = fields.length ? _("Check the marked fields.") : explain(refusal);
    box.textContent = [sentence, ...unplaced].join(" ");
    box.hidden = false;
  }
  form.querySelector("[aria-invalid]")?.focus();
}

// Send a form: `build` turns it into a request; its refusal is shown on the form.
export function onSubmit(form, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await send(new FormData(form));
    } catch (refusal) {
      if (!refusal.body) throw refusal;
      showRefusal(form, refusal);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

// A value of a form, empty as null.
export function valueOf(data, name) {
  const value = data.get(name);
  return value === null || value === "" ? null : String(value).trim();
}

// A table's body filled with rows: each row an array of cells (text or nodes).
export function fillTable(tbody, rows, empty) {
  tbody.replaceChildren();
  if (!rows.length) {
    const width = tbody.closest("table").querySelectorAll("thead th").length || 1;
    tbody.append(el("tr", {}, el("td", { colspan: width, class: "hint" }, empty)));
    return;
  }
  // Each cell names its column, for phones, where a row reads as a list of facts.
  const heads = [...tbody.closest("table").querySelectorAll("thead th")].map((th) => th.textContent);
  for (const cells of rows) {
    tbody.append(el("tr", {}, cells.map((c, i) => el("td", { "data-label": heads[i] ?? "" }, c))));
  }
}

// A list's page of `limit` from `offset`, with the total the API counts.
export async function page(path, params, limit = 50, offset = 0) {
  const query = new URLSearchParams({ ...params, limit: String(limit), offset: String(offset) });
  for (const [k, v] of [...query]) if (v === "" || v === "null") query.delete(k);
  const response = await fetchWithTotal(`${path}?${query}`);
  return response;
}

async function fetchWithTotal(path) {
  const token = sessionStorage.getItem("cascade.token");
  const answer = await fetch(`/api/v1${path}`, {
    headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
  });
  if (!answer.ok) {
    // The shared client turns it into a refusal with the contract's body.
    return { items: await api("GET", path), total: null };
  }
  return { items: await answer.json(), total: Number(answer.headers.get("X-Total-Count")) };
}

// Why a line of a file was refused, as the import says it, in the page's language.
export function lineReason(reason) {
  const known = [
    ["not a valid phone number", _("not a valid phone number")],
    ["no phone number", _("no phone number")],
    ["unknown time zone", _("unknown time zone")],
  ];
  for (const [english, words] of known) {
    if (reason.startsWith(english)) return words + reason.slice(english.length);
  }
  return reason;
}

// A file from the API saved under its name: a CSV export.
export async function download(path, name) {
  saveFile(await api("GET", path), name);
}

// A file made in the page (a Blob) saved under its name.
export function saveFile(blob, name) {
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// An instant as the reader's local date and time.
export function when(iso) {
  if (!iso) return "–";
  // On a 24-hour clock, as every page writes a time ("7:06 PM" in English otherwise).
  return new Date(iso).toLocaleString(document.documentElement.lang, {
    dateStyle: "short",
    timeStyle: "short",
    hourCycle: "h23",
  });
}

export function button(text, onClick, attrs = {}) {
  const node = el("button", { type: "button", ...attrs }, text);
  node.addEventListener("click", onClick);
  return node;
}

// Said once a page has its data and listens: tests, and people, may act from then on.
export function ready() {
  document.body.dataset.ready = "true";
}

export { $ };
