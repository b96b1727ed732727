// The audit log: every change a person made through the API, newest first, with filters.

import { $, WEEKDAYS, _, api, el, whoAmI } from "./shared.js";
import { fillTable, onSubmit, page, when, ready } from "./forms.js";
import { daysBefore } from "./time.js";

const LIMIT = 100;
const THINGS = {
  user: _("user"), campaign: _("campaign"), import: _("import"), template: _("shift template"),
  shift: _("shift"), dialer: _("dialer"), dnc: _("do-not-call"), contact: _("contact"),
  questionnaire: _("questionnaire"), account: _("account"), attempt: _("call"),
  break_code: _("break code"),
};
// Every action the service records, in words; the code itself on hover.
const ACTIONS = {
  "user.create": _("user created"),
  "user.update": _("user changed"),
  "user.deactivate": _("user deactivated"),
  "user.password": _("password changed"),
  "campaign.create": _("campaign created"),
  "campaign.update": _("campaign changed"),
  "import.start": _("base imported"),
  "template.create": _("shift template created"),
  "template.update": _("shift template changed"),
  "template.remove": _("shift template removed"),
  "shift.pause": _("shift paused"),
  "shift.resume": _("shift resumed"),
  "shift.close": _("shift closed"),
  "shift.roster": _("roster changed"),
  "shift.walk_in": _("walk-in added to a shift"),
  "attendance.clock_in": _("clocked in for an operator"),
  "attendance.correct": _("attendance corrected"),
  "dialer.pause": _("dialing paused"),
  "dialer.resume": _("dialing resumed"),
  "operator.pause": _("operator paused"),
  "operator.resume": _("operator resumed"),
  "operator.break": _("break taken"),
  "operator.back": _("back from a break"),
  "dnc.add": _("number put on do-not-call"),
  "dnc.remove": _("number taken off do-not-call"),
  "dnc.import": _("do-not-call file imported"),
  "contact.release": _("contact released from review"),
  "contact.close": _("contact closed"),
  "contact.erase": _("person erased"),
  "questionnaire.reassign": _("questionnaire reassigned"),
  "account.strategic": _("account marked strategic"),
  "hook_token.issue": _("softphone token issued"),
  "hook_token.revoke": _("softphone token revoked"),
  "break_code.add": _("break code added"),
  "break_code.change": _("break code changed"),
  "qc.review": _("call reviewed"),
  "recording.upload": _("recording uploaded"),
};

// The summaries the service writes in fixed words, in the page's language; the others are
// names, numbers and reasons as they were given.
const SAID = {
  resumed: _("resumed"), "closed early": _("closed early"), removed: _("removed"),
  issued: _("issued"), revoked: _("revoked"), "back from break": _("back from break"),
};
// An import's summary: its file, then the campaign it went into (by id).
const IMPORTED = /^(.*) into campaign ([0-9a-f-]{36})$/;

// Things named in their own entries: a do-not-call number (its id is the number's keyed
// hash, its summary the number), a contact released or closed (by its number) and an import
// (by its file).
function learnFromEntries(items) {
  for (const e of items) {
    if (!e.target_id) continue;
    if (e.target_type === "dnc" && /^\+\d+$/.test(e.summary)) NAMES.set(e.target_id, e.summary);
    const reviewed = e.target_type === "contact" ? REVIEWED[0].exec(e.summary) : null;
    if (reviewed?.[1].startsWith("+")) NAMES.set(e.target_id, reviewed[1]);
    const imported = e.target_type === "import" && IMPORTED.exec(e.summary);
    if (imported) NAMES.set(e.target_id, imported[1]);
  }
}

// The summaries the service writes around a name or a number, by action, in the page's words.
const named = (id) => NAMES.get(id) ?? id;
const ERASED = _("an erased number");
const REVIEWED = [/^(\+\d+|an erased number) from review$/, ([, phone]) => _("{phone} from review",
  { phone: phone.startsWith("+") ? phone : ERASED })];
const TEMPLATE = [/^(.*) (\d\d:\d\d–\d\d:\d\d) days ([\d,]*) (\S+)$/,
  ([, name, hours, days, zone]) => `${name}, ${hours}, ${
    days.split(",").filter(Boolean).map((d) => WEEKDAYS[d] ?? d).join(", ")} (${zone})`];
const SAID_AROUND = {
  "import.start": [IMPORTED,
    ([, file, campaign]) => _("{file} into {campaign}", { file, campaign: named(campaign) })],
  "contact.release": REVIEWED,
  "contact.close": REVIEWED,
  "shift.roster": [/: (\d+) operator\(s\) rostered$/,
    ([, n]) => _("operators on the roster: {n}", { n })],
  "shift.walk_in": [/^walk-in operator ([0-9a-f-]{36})$/,
    ([, id]) => _("walk-in: {name}", { name: named(id) })],
  "template.create": TEMPLATE,
  "template.update": TEMPLATE,
  "dnc.import": [/^(.*): (\d+) added, (\d+) already listed, (\d+) refused$/,
    ([, file, added, already, refused]) => _("{file}: added {added}, already listed {already}, refused {refused}",
      { file, added, already, refused })],
  "recording.upload": [/^(\S+), (\d+) bytes$/, ([, type, bytes]) => `${type}, ${megabytes(bytes)}`],
  "user.password": [/^(\S+): (reset|changed)$/, ([, login, how]) => (how === "reset"
    ? _("{login}: password reset", { login }) : _("{login}: password changed", { login }))],
};

// A file's size as the page's language writes megabytes ("1,4 МБ").
function megabytes(bytes) {
  return new Intl.NumberFormat(document.documentElement.lang,
    { style: "unit", unit: "megabyte", maximumFractionDigits: 1 }).format(Number(bytes) / 1e6);
}

// A summary in the page's words: fixed words translated, ids named.
function summary(e) {
  if (SAID[e.summary]) return SAID[e.summary];
  const [pattern, words] = SAID_AROUND[e.action] ?? [];
  const found = pattern?.exec(e.summary);
  if (found) return words(found);
  return e.summary.replace(UUID, named);
}

// What a thing is called, where the page can know it: people, campaigns, shift templates, break
// codes (a break code's id is its code) and dated shifts; an id seen in a summary reads so too.
const NAMES = new Map();
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

let offset = 0;

// The kind of thing in words, then its name, or the start of its id, as a link to its own
// history (the id itself on hover).
function thing(e) {
  const kind = THINGS[e.target_type] ?? e.target_type;
  if (!e.target_id) return kind;
  const name = NAMES.get(e.target_id) ?? `${e.target_id.slice(0, 8)}…`;
  const history = `/audit?${new URLSearchParams({ target_id: e.target_id })}`;
  return [`${kind} `, el("a", { href: history, title: e.target_id }, name)];
}

// The dated shifts a page of entries names, by their name and start: a shift is changed on
// its day or before it, so those starting from the day before the page's first entry, up to the
// 92 days the service lists at once (older ones keep the start of their id).
async function learnShifts(items) {
  if (!items.some((e) => e.target_type === "shift" && e.target_id && !NAMES.has(e.target_id))) {
    return;
  }
  const first = daysBefore(items.map((e) => e.at).sort()[0].slice(0, 10), 1);
  const shifts = await api("GET", `/shifts?from=${first}&to=${daysBefore(first, -91)}`);
  for (const s of shifts) NAMES.set(s.id, `${s.name}, ${when(s.starts_at)}`);
}

async function learnNames() {
  const lists = await Promise.all([
    page("/campaigns", {}, 1000, 0), api("GET", "/shift-templates"), api("GET", "/break-codes"),
  ]);
  const [{ items: campaigns }, templates, codes] = lists;
  for (const c of [...campaigns, ...templates]) NAMES.set(c.id, c.name);
  for (const b of codes) NAMES.set(b.code, b.label);
}

async function show() {
  const data = new FormData($("filters"));
  const filters = Object.fromEntries([...data].map(([k, v]) => [k, String(v).trim()]));
  const { items, total } = await page("/audit", filters, LIMIT, offset);
  await learnShifts(items);
  learnFromEntries(items);
  $("found").textContent = _("Found: {n}", { n: total ?? items.length });
  $("prev").disabled = offset === 0;
  $("next-page").disabled = total === null || offset + LIMIT >= total;
  fillTable($("entries"), items.map((e) => [
    when(e.at),
    // The person by name, as the filter lists them, the login on hover.
    e.actor_id && NAMES.has(e.actor_id)
      ? el("span", { title: e.actor ?? "" }, NAMES.get(e.actor_id)) : e.actor ?? "–",
    el("span", { "data-action": e.action, title: e.action }, ACTIONS[e.action] ?? e.action),
    thing(e), summary(e),
  ]), _("No changes match."));
}

onSubmit($("filters"), async () => { offset = 0; await show(); });
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); show(); });
$("next-page").addEventListener("click", () => { offset += LIMIT; show(); });

if (await whoAmI(["supervisor", "admin"])) {
  const { items } = await page("/users", {}, 1000, 0);
  for (const u of items) NAMES.set(u.id, u.name);
  await learnNames();
  $("actor").append(...items.map((u) => new Option(`${u.name} (${u.login})`, u.id)));
  $("action").append(...Object.entries(ACTIONS).map(([code, words]) => new Option(words, code)));
  // Filters given in the address: a thing's link shows its history, and can be kept.
  for (const [name, value] of new URLSearchParams(location.search)) {
    const field = $("filters").elements.namedItem(name);
    if (field) field.value = value;
  }
  await show();
  ready();
}
