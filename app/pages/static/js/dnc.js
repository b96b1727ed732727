// The do-not-call list: search, add, remove, upload a file of numbers, export.

import { $, _, api, el, explain, say, whoAmI } from "./shared.js";
import { button, download, fillTable, lineReason, onSubmit, page, when, ready } from "./forms.js";

const SOURCES = {
  manual: _("by hand"), file: _("from a file"), outcome: _("on a call"), erasure: _("erasure"),
};

const LIMIT = 100;
let offset = 0;
// Pages may answer out of order (a slow one overtaken by the next): only the latest shows.
let latest = 0;

// A page of the list, with the rows it shows of how many: an upload of 154 numbers showed
// its first 100 as if they were all.
async function list() {
  const q = $("q").value.trim();
  const mine = ++latest;
  let { items, total } = await page("/dnc", { q }, LIMIT, offset);
  if (!items.length && offset > 0) {
    // The last row of the last page taken off: the page before it.
    offset = Math.max(0, offset - LIMIT);
    ({ items, total } = await page("/dnc", { q }, LIMIT, offset));
  }
  if (mine !== latest) return;
  const found = total ?? items.length;
  $("found").textContent = found > items.length
    ? _("Found: {n}, showing {first}–{last}.", {
      n: found, first: offset + 1, last: offset + items.length,
    })
    : _("Found: {n}", { n: found });
  $("prev").disabled = offset === 0;
  $("next-page").disabled = total === null || offset + LIMIT >= total;
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
  offset = 0;  // newest first: the number added heads the first page
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
  offset = 0;
  await list();
});

$("search").addEventListener("submit", (event) => { event.preventDefault(); offset = 0; list(); });
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); list(); });
$("next-page").addEventListener("click", () => { offset += LIMIT; list(); });
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
