// Panel-wide behaviour, kept out of inline handlers so the Content-Security-Policy can forbid them:
// remember the browser's time zone, confirm destructive buttons, run batch actions.
(function () {
  "use strict";
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !document.cookie.split("; ").includes("tz=" + zone)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (error) { /* the server falls back to UTC */ }

  // Forms loaded into a modal get the styles Flask-Admin's (inline, hence blocked) script gave them.
  if (window.jQuery) {
    window.jQuery(document).ajaxComplete(function () {
      const modals = document.getElementsByClassName("modal-content");
      if (window.faForm && modals.length) window.faForm.applyGlobalStyles(modals);
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("a.filter")) event.preventDefault();
    const batch = event.target.closest("[data-batch-action]");
    if (batch && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(batch.dataset.batchAction);
    }
  });
})();
