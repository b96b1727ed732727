// The audit log: every change a person made through the API, newest first, with filters.

import { $, _, whoAmI } from "./shared.js";
import { fillTable, onSubmit, page, when, ready } from "./forms.js";

const LIMIT = 100;
const THINGS = {
  user: _("user"), campaign: _("campaign"), import: _("import"), template: _("shift template"),
  shift: _("shift"), dialer: _("dialer"), dnc: _("do-not-call"), contact: _("contact"),
  questionnaire: _("questionnaire"), account: _("account"),
};
const ACTIONS = [
  "user.create", "user.update", "user.deactivate", "user.password", "campaign.create",
  "campaign.update", "import.start", "template.create", "template.update", "template.remove",
  "shift.pause", "shift.resume", "shift.close", "shift.roster", "shift.walk_in",
  "attendance.clock_in", "attendance.correct", "dialer.pause", "dialer.resume",
  "operator.pause", "operator.resume", "operator.break", "operator.back", "dnc.add", "dnc.remove", "dnc.import",
  "contact.release", "contact.close", "contact.erase", "questionnaire.reassign",
  "account.strategic", "hook_token.issue", "hook_token.revoke",
];

let offset = 0;

async function show() {
  const data = new FormData($("filters"));
  const filters = Object.fromEntries([...data].map(([k, v]) => [k, String(v).trim()]));
  const { items, total } = await page("/audit", filters, LIMIT, offset);
  $("found").textContent = _("Found: {n}", { n: total ?? items.length });
  $("prev").disabled = offset === 0;
  $("next-page").disabled = total === null || offset + LIMIT >= total;
  fillTable($("entries"), items.map((e) => [
    when(e.at), e.actor ?? "–", e.action,
    `${THINGS[e.target_type] ?? e.target_type} ${e.target_id ?? ""}`, e.summary,
  ]), _("No changes match."));
}

onSubmit($("filters"), async () => { offset = 0; await show(); });
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); show(); });
$("next-page").addEventListener("click", () => { offset += LIMIT; show(); });

if (await whoAmI(["supervisor", "admin"])) {
  const { items } = await page("/users", {}, 1000, 0);
  $("actor").append(...items.map((u) => new Option(`${u.name} (${u.login})`, u.id)));
  $("actions").append(...ACTIONS.map((a) => new Option(a)));
  await show();
  ready();
}
