// Refreshes the dashboard's figures from its JSON endpoint. Text only (textContent), never HTML.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const url = root.dataset.url;
  const every = parseInt(root.dataset.refresh, 10) || 5000;

  function cell(text, href) {
    const td = document.createElement("td");
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      td.appendChild(link);
    } else {
      td.textContent = text;
    }
    return td;
  }

  function badge(mission) {
    const td = document.createElement("td");
    const span = document.createElement("span");
    span.className = "badge badge-status " + mission.badge;
    span.textContent = mission.status_label;
    td.appendChild(span);
    return td;
  }

  function show(figures) {
    for (const key of ["active", "completed", "clients"]) {
      root.querySelector('[data-figure="' + key + '"]').textContent = figures[key];
    }
    const body = document.getElementById("latest-missions");
    body.replaceChildren(...figures.latest.map(function (mission) {
      const row = document.createElement("tr");
      row.append(cell(mission.client, mission.url), badge(mission), cell(mission.created_at));
      return row;
    }));
    document.getElementById("latest-empty").hidden = figures.latest.length > 0;
  }

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) throw new Error(String(response.status));
      show(await response.json());
      document.getElementById("refresh-state").textContent = "";
    } catch (error) {
      document.getElementById("refresh-state").textContent = "⚠";
    }
  }

  setInterval(refresh, every);
  const select = document.getElementById("partner");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
})();
