// Refreshes today's board from the server's rendering of its columns (escaped there), swapped in
// as parsed nodes; nothing from the page runs as script.
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root) return;
  const url = root.dataset.url;
  const every = parseInt(root.dataset.refresh, 10) || 5000;
  const columns = document.getElementById("board-columns");
  const state = document.getElementById("refresh-state");

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) throw new Error(String(response.status));
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      columns.replaceChildren(...parsed.body.childNodes);
      state.textContent = "";
    } catch (error) {
      state.textContent = "⚠";
    }
  }

  setInterval(refresh, every);
  const select = document.getElementById("partner");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
})();
