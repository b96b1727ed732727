// The login form; after logging in, off to the role's page.

import { $, api, explain, homeOf, keepToken } from "./shared.js";

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
    keepToken(token.access_token);
    const me = await api("GET", "/me");
    location.assign(homeOf(me));
  } catch (refusal) {
    error.textContent = explain(refusal);
    error.hidden = false;
    button.disabled = false;
    $("password").select();
  }
});
