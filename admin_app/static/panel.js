// Panel-wide behaviour, kept out of inline handlers so the Content-Security-Policy can forbid them:
// confirm destructive buttons, run batch actions.
(function () {
  "use strict";
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
