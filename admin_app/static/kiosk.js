// The tablet's self check-in (templates/kiosk/page.html): keeps the shop's check-in key in
// localStorage, registers each visitor with POST /api/v1/clients and that key, then says
// "you're checked in" and clears the form for the next visitor. It shows only the page's own
// words (text, never HTML) and nothing the API answers but which field is wrong and why.
(function () {
  "use strict";
  const STORED_KEY = "walkin.kiosk.key";
  const root = document.getElementById("kiosk");
  if (!root) return;
  const registerUrl = root.dataset.registerUrl;
  const fields = root.dataset.fields.split(" ");
  const resetMs = (parseInt(root.dataset.resetSeconds, 10) || 8) * 1000;
  const keyForm = document.getElementById("key-form");
  const keyInput = document.getElementById("key");
  const visitForm = document.getElementById("visit-form");
  const visitError = document.getElementById("visit-error");
  const forgetButton = document.getElementById("forget-key");
  const forgetConfirm = document.getElementById("forget-confirm");
  let resetTimer = null;
  // The key entered on this page, used when the browser refuses to store it.
  let sessionKey = null;

  function word(name) {
    return root.querySelector('#kiosk-words [data-word="' + name + '"]').textContent;
  }

  // A field code's words, its %(name)s / %(name)d filled from the API's params.
  function problemWords(problem) {
    const known = root.querySelector('#kiosk-words [data-problem="' + problem.code + '"]');
    if (!known) return word("field_problem");
    const params = problem.params || {};
    return known.textContent.replace(/%\((\w+)\)[sd]/g, function (whole, name) {
      return name in params ? String(params[name]) : whole;
    });
  }

  function storedKey() {
    try { return localStorage.getItem(STORED_KEY); } catch (error) { return null; }
  }

  function show(section) {
    for (const name of ["kiosk-key", "kiosk-visit", "kiosk-done"]) {
      document.getElementById(name).hidden = name !== section;
    }
    forgetButton.hidden = section === "kiosk-key";
    forgetConfirm.hidden = true;
  }

  function askForKey(lost) {
    document.getElementById("key-lost").hidden = !lost;
    show("kiosk-key");
    keyInput.focus();
  }

  function markField(input, feedback, text) {
    input.classList.toggle("is-invalid", Boolean(text));
    input.setAttribute("aria-invalid", text ? "true" : "false");
    feedback.textContent = text || "";
  }

  function fieldMark(name, text) {
    markField(document.getElementById(name), document.getElementById(name + "-error"), text);
  }

  // A visitor's registration keeps one Idempotency-Key until it is answered: a retry after a
  // lost answer (the network dropped) is then applied once, not twice.
  let pending = null;

  function newRequestKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function postVisitor(key, body, requestKey) {
    const headers = {
      Authorization: "Bearer " + key,
      "Content-Type": "application/json",
      Accept: "application/json, application/problem+json",
    };
    if (requestKey) headers["Idempotency-Key"] = requestKey;
    return fetch(registerUrl, {
      method: "POST",
      headers: headers,
      body: body,
      credentials: "omit",
      cache: "no-store",
    });
  }

  async function problemOf(response) {
    try { return await response.json(); } catch (error) { return {}; }
  }

  // A key is checked by a registration with empty fields: the API refuses a bad key (401) or
  // one of another scope (403) before reading the body, and a shop's key with one error a
  // field (nothing saved); an admin's key is refused for want of a shop (partner_id).
  async function checkKey(key) {
    const empty = {};
    fields.forEach(function (name) { empty[name] = ""; });
    const response = await postVisitor(key, JSON.stringify(empty));
    if (response.status === 401) return "key_invalid";
    if (response.status === 403) return "key_scope";
    if (response.status === 429) return "too_many";
    if (response.status !== 422) return "failed";
    const errors = (await problemOf(response)).errors || [];
    if (errors.some(function (error) { return error.field === "partner_id"; })) {
      return "key_not_a_shop";
    }
    return null;
  }

  async function saveKey(event) {
    event.preventDefault();
    const key = keyInput.value.trim();
    const feedback = document.getElementById("key-error");
    if (!key) return markField(keyInput, feedback, word("key_required"));
    let refusal;
    try {
      refusal = await checkKey(key);
    } catch (error) {
      refusal = "unreachable";
    }
    if (refusal) return markField(keyInput, feedback, word(refusal));
    try { localStorage.setItem(STORED_KEY, key); } catch (error) { /* kept for this page only */ }
    sessionKey = key;
    markField(keyInput, feedback, "");
    keyForm.reset();
    show("kiosk-visit");
  }

  function visitorBody() {
    const body = { language: document.documentElement.lang };
    fields.forEach(function (name) { body[name] = visitForm.elements.namedItem(name).value; });
    body.email_consent = visitForm.elements.namedItem("email_consent").checked;
    return body;
  }

  function clearMarks() {
    fields.forEach(function (name) { fieldMark(name, ""); });
    visitError.hidden = true;
    visitError.textContent = "";
  }

  function showGeneral(name) {
    visitError.textContent = word(name);
    visitError.hidden = false;
  }

  function showFieldErrors(errors) {
    let first = null;
    for (const error of errors) {
      if (!fields.includes(error.field)) {
        showGeneral("failed");
        continue;
      }
      fieldMark(error.field, problemWords(error));
      first = first || document.getElementById(error.field);
    }
    if (first) first.focus();
  }

  function checkedIn() {
    visitForm.reset();
    show("kiosk-done");
    resetTimer = setTimeout(function () {
      resetTimer = null;
      show("kiosk-visit");
    }, resetMs);
  }

  async function answer(response) {
    if (response.status === 201) return checkedIn();
    if (response.status === 401 || response.status === 403) {
      forgetKey();
      return askForKey(true);
    }
    if (response.status === 422) return showFieldErrors((await problemOf(response)).errors || []);
    showGeneral(response.status === 429 ? "too_many" : "failed");
  }

  async function checkIn(event) {
    event.preventDefault();
    const key = currentKey();
    if (!key) return askForKey(true);
    const button = visitForm.querySelector("[type=submit]");
    clearMarks();
    button.disabled = true;
    const body = JSON.stringify(visitorBody());
    if (!pending || pending.body !== body) pending = { body: body, key: newRequestKey() };
    try {
      const response = await postVisitor(key, body, pending.key);
      pending = null;
      await answer(response);
    } catch (error) {
      showGeneral("unreachable");
    } finally {
      button.disabled = false;
    }
  }

  // The stored key, else the one entered on this page.
  function currentKey() {
    return storedKey() || sessionKey;
  }

  function forgetKey() {
    try { localStorage.removeItem(STORED_KEY); } catch (error) { /* nothing stored */ }
    sessionKey = null;
  }

  keyForm.addEventListener("submit", saveKey);
  visitForm.addEventListener("submit", checkIn);
  // A field's error goes as soon as the visitor changes it.
  visitForm.addEventListener("input", function (event) {
    if (fields.includes(event.target.name)) fieldMark(event.target.name, "");
  });
  forgetButton.addEventListener("click", function () {
    forgetConfirm.hidden = false;
    document.getElementById("forget-no").focus();
  });
  document.getElementById("forget-no").addEventListener("click", function () {
    forgetConfirm.hidden = true;
  });
  document.getElementById("forget-yes").addEventListener("click", function () {
    if (resetTimer) clearTimeout(resetTimer);
    forgetKey();
    visitForm.reset();
    clearMarks();
    askForKey(false);
  });

  if (currentKey()) show("kiosk-visit"); else askForKey(false);
})();
