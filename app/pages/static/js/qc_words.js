// Words the quality-control pages share: outcomes, the default criteria, scores.

import { OBJECTIONS, _, el } from "./shared.js";

export const DISPOSITIONS = {
  no_answer: _("No answer"),
  busy: _("Busy"),
  voicemail: _("Voicemail"),
  not_interested: _("Not interested"),
  callback: _("Call back"),
  warm: _("Warm questionnaire"),
  wrong_number: _("Wrong number"),
  do_not_call: _("Do not call"),
};

// The default form's criteria; a campaign's own criteria show with their own labels.
const CRITERIA = {
  greeting: _("Greeting and introduction"),
  script: _("Script followed"),
  objection_counter: _("Objection answered with a counter-question"),
  questionnaire: _("Questionnaire complete"),
  courtesy: _("Courtesy"),
};

export function criterionLabel(criterion) {
  return CRITERIA[criterion.code] ?? criterion.label;
}

export function outcome(call) {
  const words = DISPOSITIONS[call.disposition] ?? call.disposition;
  if (!call.objection) return words;
  return `${words}: ${OBJECTIONS[call.objection] ?? call.objection}`;
}

// Whom a call was to: its company (or name) and number; an erased contact says so.
export function whom(contact) {
  if (!contact?.phone) return _("erased");
  return [contact.company || contact.name, contact.phone].filter(Boolean).join(" · ");
}

export function percent(score) {
  return `${Math.round(Number(score))} %`;
}

export function seconds(value) {
  if (value === null || value === undefined) return _("—");
  const whole = Math.round(value);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// An audio element playing a recording through its listening link (Range lets it seek).
export function player(recording, id) {
  const audio = el("audio", { controls: true, preload: "metadata", id });
  audio.src = recording.url;
  return audio;
}
