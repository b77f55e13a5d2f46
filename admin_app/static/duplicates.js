// The new-client form's duplicate check: after the phone, email, names, city (or an admin's
// partner) change, ask the panel for likely duplicates and list them above the form, with a
// link to open a new mission for one of them instead. Works for the full page and for the modal
// the clients list fetches (events are caught on the document). Data goes in as text nodes only.
(function () {
  "use strict";
  const FIELDS = ["first_name", "last_name", "email", "phone", "city", "partner"];
  const DELAY_MS = 350;
  let timer = null;
  let asked = 0;

  // The panel is inside the modal's form, just above the full page's.
  function panelOf(form) {
    if (!form || !form.elements.namedItem("first_name")) return null;
    return form.querySelector("[data-duplicates-url]") ||
      document.querySelector("[data-duplicates-url]");
  }

  function query(form) {
    const params = new URLSearchParams();
    FIELDS.forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (field && field.value) params.set(name, field.value.trim());
    });
    return params;
  }

  function worthAsking(params) {
    const names = params.get("first_name") && params.get("last_name") && params.get("city");
    return Boolean(params.get("phone") || params.get("email") || names);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function link(href, className, text) {
    const node = element("a", className, text);
    node.href = href;
    return node;
  }

  function candidateItem(panel, candidate) {
    const item = element("li", "mb-2");
    item.dataset.clientId = candidate.id;
    item.appendChild(element("strong", "", candidate.name));
    const facts = [candidate.email, candidate.phone, candidate.city].filter(Boolean);
    item.appendChild(document.createTextNode(" · " + facts.join(" · ")));
    const reasons = candidate.reasons.map(function (reason) {
      return panel.dataset["reason" + reason.charAt(0).toUpperCase() + reason.slice(1)] || reason;
    });
    item.appendChild(element("span", "text-muted", " (" + reasons.join(", ") + ")"));
    const actions = element("div", "mt-1");
    actions.appendChild(link(candidate.new_mission_url, "btn btn-sm btn-primary mr-2",
      panel.dataset.openMission));
    actions.appendChild(link(candidate.details_url, "btn btn-sm btn-outline-secondary",
      panel.dataset.details));
    item.appendChild(actions);
    return item;
  }

  function show(panel, candidates) {
    panel.replaceChildren();
    if (!candidates.length) {
      panel.classList.add("d-none");
      return;
    }
    panel.appendChild(element("p", "font-weight-bold mb-2", panel.dataset.title));
    const list = element("ul", "list-unstyled mb-0");
    candidates.forEach(function (candidate) {
      list.appendChild(candidateItem(panel, candidate));
    });
    panel.appendChild(list);
    panel.classList.remove("d-none");
  }

  function check(form) {
    const panel = panelOf(form);
    const params = query(form);
    if (!worthAsking(params)) {
      show(panel, []);
      return;
    }
    const mine = ++asked;
    fetch(panel.dataset.duplicatesUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { candidates: [] };
      })
      .then(function (answer) {
        if (mine === asked) show(panel, answer.candidates || []);
      })
      .catch(function () {
        if (mine === asked) show(panel, []);
      });
  }

  function changed(event) {
    const field = event.target;
    if (!field.name || FIELDS.indexOf(field.name) < 0 || !panelOf(field.form)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      check(field.form);
    }, DELAY_MS);
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
})();
