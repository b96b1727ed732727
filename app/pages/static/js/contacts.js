// Contacts: search by number in any spelling, name or company; a card with every attempt;
// the review queue, each contact released back to the queue or closed.

import {
  $, DISPOSITIONS, OBJECTIONS, STAGES, _, api, el, explain, fieldLabel, pgettext, say, whoAmI,
} from "./shared.js";
import { button, fillTable, page, showRefusal, when, ready } from "./forms.js";

const LIMIT = 50;
const NOT_CALLED = new Set(["closed", "do_not_call", "erased"]);
const IN_REVIEW = _("once released from review");

function nextCall(card) {
  if (NOT_CALLED.has(card.state)) return "–";
  return card.state === "review" ? IN_REVIEW : when(card.next_call_at);
}

// An imported column without a heading is kept as "column_6": written as the page's words.
function fieldName(key) {
  const unnamed = /^column_(\d+)$/.exec(key);
  return unnamed ? _("column {n}", { n: unnamed[1] }) : key;
}
const CONTACT_STATES = {
  ready: pgettext("contact state", "ready"),
  leased: _("leased"),
  review: _("in review"),
  closed: _("closed"),
  do_not_call: _("do not call"),
  erased: _("erased"),
};

// Why a contact is in review, as the service says it.
const REVIEW_REASONS = {
  leases_expired: (n) => _(
    "Sent to review: the time on this number ran out without an outcome {n} times in a row.",
    { n }),
};

function reviewReason(contact) {
  const reason = contact.review_reason;
  if (!reason) return null;
  return REVIEW_REASONS[reason.why]?.(reason.in_a_row) ?? null;
}

let offset = 0;
// The contact whose card is open, drawn again when the list changes it (a card closed from
// its row kept saying "in review").
let shown = null;
// Searches may answer out of order (a slow one overtaken by the next): only the latest shows.
let latest = 0;

async function search() {
  const form = $("search");
  const data = new FormData(form);
  const mine = ++latest;
  try {
    const { items, total } = await page(
      "/contacts", { q: data.get("q"), state: data.get("state") }, LIMIT, offset,
    );
    if (mine !== latest) return;
    $("found").textContent = _("Found: {n}", { n: total ?? items.length });
    $("prev").disabled = offset === 0;
    $("next-page").disabled = total === null || offset + LIMIT >= total;
    fillTable($("contacts"), items.map(row), _("Nothing found."));
  } catch (refusal) {
    showRefusal(form, refusal);
  }
}

function row(contact) {
  const actions = [button(_("Open"), () => openCard(contact.id))];
  if (contact.state === "review") {
    actions.push(button(_("Release"), () => decide(contact, "release")));
    actions.push(button(_("Close"), () => decide(contact, "close")));
  }
  const why = reviewReason(contact);
  return [
    contact.phone ?? "–",
    contact.name ?? "",
    contact.company ?? "",
    [CONTACT_STATES[contact.state] ?? contact.state,
      ...(why ? [el("span", { class: "hint reason" }, why)] : [])],
    String(contact.attempts_made),
    el("span", { class: "actions" }, actions),
  ];
}

async function decide(contact, action) {
  // Closing cannot be taken back: the number is never called again in its campaign.
  const phone = contact.phone ?? _("erased");
  const question = _("Close {phone} for good? It will not be called again in this campaign.",
    { phone });
  if (action === "close" && !confirm(question)) return;
  try {
    await api("POST", `/contacts/${contact.id}/${action}`);
    say(action === "release" ? _("Back in the queue: {phone}", { phone: contact.phone ?? "" })
      : _("Closed: {phone}", { phone: contact.phone ?? "" }));
  } catch (refusal) {
    say(explain(refusal));
  }
  await search();
  if (shown === contact.id) await openCard(contact.id, false);
}

// A campaign's questionnaire fields by name, with their labels; none if it cannot be read.
async function fieldLabels(campaignId) {
  if (!campaignId) return new Map();
  try {
    const campaign = await api("GET", `/campaigns/${campaignId}`);
    const fields = campaign.questionnaire_fields || [];
    return new Map(fields.map((f) => [f.name, fieldLabel(f.name, f.label)]));
  } catch {
    return new Map();
  }
}

async function openCard(id, focus = true) {
  let card;
  try {
    card = await api("GET", `/contacts/${id}`);
  } catch (refusal) {
    say(explain(refusal));
    return;
  }
  // The answers under the campaign's own labels for its fields, as the operator asked them;
  // read before anything is drawn, so that no part of the card shows the one before.
  const answers = Object.entries(card.questionnaire?.answers || {});
  const labels = answers.length ? await fieldLabels(card.campaign?.id) : new Map();
  $("card-title").textContent = card.phone ?? _("erased");
  const why = reviewReason(card);
  const facts = [
    [_("Name"), card.name], [_("Company"), card.company], [_("Region"), card.region],
    [_("Time zone"), card.timezone], [_("Campaign"), card.campaign?.name],
    [_("State"), CONTACT_STATES[card.state] ?? card.state],
    ...(why ? [[_("Why in review"), why]] : []),
    // A contact no longer called has no next call (the time kept is a past one's); one in
    // review is not called until a supervisor releases it.
    [_("Next call"), nextCall(card)],
    [_("Callback"), card.callback ? when(card.callback.at) : "–"],
    ...Object.entries(card.fields || {}).map(([k, v]) => [fieldName(k), v]),
  ];
  $("card-facts").replaceChildren(
    ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "–")]),
  );
  fillTable($("attempts"), card.attempts.map((a) => [
    when(a.at), a.operator?.name ?? "–", DISPOSITIONS[a.disposition] ?? a.disposition,
    OBJECTIONS[a.objection] ?? a.objection ?? "", a.notes ?? "", a.ring_seconds ?? "–",
    a.talk_seconds ?? "–",
  ]), _("No calls yet."));
  $("card-questionnaire").replaceChildren(
    ...(answers.length
      ? answers.flatMap(([k, v]) => [
        el("dt", {}, labels.get(k) ?? fieldLabel(k)), el("dd", {}, String(v))])
      : [el("dd", {}, "–")]),
  );
  $("card-account").textContent = card.account
    ? `${card.account.company ?? ""} (${STAGES[card.account.stage] ?? card.account.stage})` : "–";
  $("card").hidden = false;
  shown = id;
  if (focus) $("card").focus();
}

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  search();
});
$("review-queue").addEventListener("click", () => {
  $("q").value = "";
  $("state").value = "review";
  offset = 0;
  search();
});
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); search(); });
$("next-page").addEventListener("click", () => { offset += LIMIT; search(); });

if (await whoAmI(["supervisor", "admin"])) {
  const state = new URLSearchParams(location.search).get("state");
  if (state) $("state").value = state;
  await search();
  ready();
}
