/* Coordinator case board: live. Subscribes to the board:<id> rooms of the boards this coordinator runs
 * (MeridianLive, which resumes with `since` on reconnect) and, when a case changes state, re-fetches the
 * columns fragment with the page's filters. Without socket.io the board is still a plain page. */
(function () {
  "use strict";
  var _ = window.Meridian.gettext;
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector("[data-case-board]");
    var status = document.querySelector("[data-live-status]");
    if (!board || !window.io || !window.MeridianLive) return;
    var rooms = (board.dataset.rooms || "").split(" ").filter(Boolean);
    if (!rooms.length) return;
    var pending = null, inFlight = false, again = false;

    function refresh() {
      if (inFlight) { again = true; return; }
      inFlight = true;
      fetch(board.dataset.columnsUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
        .then(function (html) {
          board.innerHTML = html;
          board.dispatchEvent(new CustomEvent("meridian:board-refreshed", { bubbles: true }));
        })
        .catch(function () { if (status) status.textContent = _("Could not refresh the board; reload the page."); })
        .then(function () { inFlight = false; if (again) { again = false; refresh(); } });
    }
    function soon() { clearTimeout(pending); pending = setTimeout(refresh, 150); }

    function sayLive() { if (status) status.textContent = _("Live: updates as cases move."); }
    var live = window.MeridianLive.connect({
      onReset: soon,
      onSubscribed: sayLive,   // also after a subscribe that failed once and was asked again
      onRevoked: function () { if (status) status.textContent = _("Live updates stopped: your access to a board changed. Reload the page."); },
      // The protocol's reason (English, for developers) goes to the console; the reader gets a sentence.
      onError: function (room, error) {
        if (window.console && error) console.warn("live:", error);
        if (status) status.textContent = _("Live updates are unavailable; reload the page to try again.");
      },
    });
    live.socket.on("connect", function () { sayLive(); soon(); });
    live.socket.on("disconnect", function () { if (status) status.textContent = _("Reconnecting…"); });
    rooms.forEach(function (room) {
      live.subscribe(room, function (event) {
        if (event.type === "case.state_changed") soon();
      });
    });
    window.MeridianCaseBoard = { live: live, refresh: refresh };
  });
})();
