// The do-not-call list: search, add, remove, upload a file of numbers, export.

import { $, _, api, el, explain, say, whoAmI } from "./shared.js";
import { button, download, fillTable, lineReason, onSubmit, page, when, ready } from "./forms.js";

const SOURCES = {
  manual: _("by hand"), file: _("from a file"), outcome: _("on a call"), erasure: _("erasure"),
};

async function list() {
  const q = $("q").value.trim();
  const { items, total } = await page("/dnc", { q }, 100, 0);
  $("found").textContent = _("Found: {n}", { n: total ?? items.length });
  fillTable($("entries"), items.map((e) => [
    e.phone ?? _("erased"),
    SOURCES[e.source] ?? e.source,
    when(e.created_at),
    e.phone ? button(_("Remove"), () => remove(e.phone)) : "",
  ]), _("The list is empty."));
}

async function remove(phone) {
  if (!confirm(_("Take {phone} off the do-not-call list? It can be called again in every campaign.", { phone }))) return;
  try {
    await api("DELETE", `/dnc/${encodeURIComponent(phone)}`);
    say(_("Taken off the list: {phone}", { phone }));
  } catch (refusal) {
    say(explain(refusal));
  }
  await list();
}

onSubmit($("add"), async (data) => {
  const entry = await api("POST", "/dnc", { json: { phone: data.get("phone") } });
  say(_("On the list: {phone}", { phone: entry.phone }));
  $("add").reset();
  await list();
});

onSubmit($("upload"), async (data) => {
  const file = data.get("file");
  if (!file || !file.size) {
    throw { body: { error: "invalid_input", fields: [{ loc: ["body", "file"], msg: "required" }] } };
  }
  const form = new FormData();
  form.append("file", file);
  const token = sessionStorage.getItem("cascade.token");
  const answer = await fetch("/api/v1/dnc/imports", {
    method: "POST", body: form, headers: { Authorization: `Bearer ${token}` },
  });
  const report = await answer.json();
  if (!answer.ok) throw { body: report };
  $("upload-report").textContent = _("Added {added}, already listed {already}, refused {invalid}.", report);
  $("upload-errors").replaceChildren(
    ...report.errors.map((e) => el("li", {}, _("Line {line}: {reason}", { ...e, reason: lineReason(e.reason) }))),
  );
  await list();
});

$("search").addEventListener("submit", (event) => { event.preventDefault(); list(); });
$("export").addEventListener("click", async () => {
  const q = $("q").value.trim();
  const query = new URLSearchParams({ format: "csv", ...(q ? { q } : {}) });
  try {
    await download(`/dnc?${query}`, "do-not-call.csv");
  } catch (refusal) {
    say(explain(refusal));
  }
});

if (await whoAmI(["supervisor", "admin"])) {
  await list();
  ready();
}
