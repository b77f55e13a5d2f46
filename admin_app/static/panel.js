// Panel-wide behaviour, kept out of inline handlers so the Content-Security-Policy can forbid them:
// confirm destructive buttons, run batch actions, copy a shown value (a new API key's token).
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
    const copy = event.target.closest("button[data-copy]");
    if (copy) copyValue(copy);
    const batch = event.target.closest("[data-batch-action]");
    if (batch && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(batch.dataset.batchAction);
    }
  });

  // Copy the value of the field the button names, leaving it selected (to copy by hand where
  // copying is refused), and say so on the button. The page's own copy runs at once, within
  // the click; the asynchronous clipboard, which needs the page focused, is the fallback.
  function copyValue(button) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    const done = function () { button.textContent = button.dataset.copied; };
    field.focus();
    field.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    if (copied) done();
    else if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () {});
  }
})();
