/* Agenda editor: htmx swaps the editor after a change. Refusals (404, 409, 422) come back as the editor with
   the message beside the control, so they are swapped in too instead of being dropped as errors. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (!target || !target.closest || !target.closest("[data-agenda-editor]")) return;
    if (status === 404 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
