// Users (admin): list with filters, create, edit, reset a password, deactivate and reactivate.

import { $, _, api, el, explain, money, plainMoney, say, whoAmI } from "./shared.js";
import { button, fillTable, onSubmit, page, valueOf, ready } from "./forms.js";

const ROLES = {
  operator: _("operator"), manager: _("manager"), supervisor: _("supervisor"), admin: _("admin"),
};
const DESKS = {
  acquisition: _("acquisition (MPK)"), development: _("development (MRK)"),
  regular: _("regular clients"), key_account: _("key accounts (KAM)"),
};
const DECIMAL_MARK = new Intl.NumberFormat(document.documentElement.lang).formatToParts(1.5)
  .find((part) => part.type === "decimal").value;
let editing = null;
let me = null;

async function list() {
  const data = new FormData($("filters"));
  const { items, total } = await page(
    "/users", { role: data.get("role"), active: data.get("active") }, 1000, 0,
  );
  $("found").textContent = _("Found: {n}", { n: total ?? items.length });
  fillTable($("users"), items.map((u) => [
    u.name, u.login, ROLES[u.role] ?? u.role, DESKS[u.desk] ?? u.desk ?? "", u.capacity ?? "",
    u.hourly_rate === null || u.hourly_rate === undefined ? "" : money(u.hourly_rate),
    u.active ? _("yes") : _("no"),
    ...(me.role !== "admin" ? [] : [el("span", { class: "actions" },
      button(_("Edit"), () => edit(u)),
      // Not oneself: another admin does (the service refuses it too).
      u.id === me.user.id ? "" : button(u.active ? _("Deactivate") : _("Reactivate"),
        () => setActive(u, !u.active)),
    )]),
  ]), _("No users match."));
}

function edit(user) {
  editing = user;
  const form = $("user-form");
  form.reset();
  $("editor-h").textContent = user ? _("Edit {name}", { name: user.name }) : _("New user");
  for (const node of document.querySelectorAll(".create-only")) node.hidden = Boolean(user);
  for (const node of document.querySelectorAll(".edit-only")) node.hidden = !user;
  if (user) {
    for (const name of ["name", "desk", "capacity"]) {
      form.elements[name].value = user[name] ?? "";
    }
    // As the rate was typed, with the language's decimal mark ("350,50"; it read "350.50").
    const rate = user.hourly_rate;
    form.elements.hourly_rate.value = rate === null || rate === undefined ? ""
      : plainMoney(rate).replace(".", DECIMAL_MARK);
  }
  $("editor").hidden = false;
  (user ? $("name") : $("login")).focus();
}

// Deactivating cuts the user off at once (its sessions end, an operator's number goes back to
// the queue): asked first, as what cannot be taken back in one click is.
function cutOff(user) {
  return confirm(_("Deactivate {name}? Their sessions end at once and they can no longer " +
    "log in; a number an operator holds goes back to the queue.", { name: user.name || user.login }));
}

async function setActive(user, active) {
  if (!active && !cutOff(user)) return;
  try {
    await api("PATCH", `/users/${user.id}`, { json: { active } });
    say(active ? _("Reactivated: {name}", user) : _("Deactivated: {name}", user));
  } catch (refusal) {
    say(explain(refusal));
  }
  await list();
}

onSubmit($("user-form"), async (data) => {
  const body = {
    name: valueOf(data, "name"),
    desk: valueOf(data, "desk"),
    capacity: valueOf(data, "capacity") === null ? null : Number(valueOf(data, "capacity")),
    // A decimal comma, as Russian writes "350,50", is the service's point.
    hourly_rate: valueOf(data, "hourly_rate")?.replace(",", ".") ?? null,
  };
  if (editing) {
    if (body.name === null) delete body.name;
    await api("PATCH", `/users/${editing.id}`, { json: body });
    say(_("Saved: {name}", { name: body.name ?? editing.name }));
  } else {
    const created = await api("POST", "/users", { json: {
      ...body, name: body.name ?? "", login: valueOf(data, "login") ?? "",
      password: data.get("password") ?? "", role: data.get("role"),
    } });
    say(_("Created: {name}", created));
  }
  $("editor").hidden = true;
  await list();
});

onSubmit($("password-form"), async (data) => {
  await api("POST", `/users/${editing.id}/password`, { json: { password: data.get("password") ?? "" } });
  $("password-form").reset();
  say(_("The password of {name} is changed; their sessions ended.", editing));
});

$("filters").addEventListener("submit", (event) => { event.preventDefault(); list(); });
$("new-user").addEventListener("click", () => edit(null));
$("cancel").addEventListener("click", () => { $("editor").hidden = true; });

me = await whoAmI(["supervisor", "admin"]);
if (me) {
  $("new-user").hidden = me.role !== "admin";
  // A supervisor reads the list: no column of actions it cannot take, and who can.
  if (me.role !== "admin") $("actions-h").remove();
  $("admins-only").hidden = me.role === "admin";
  await list();
  ready();
}
