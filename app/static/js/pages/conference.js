/* The meeting's Jitsi room, embedded on the live page with Jitsi's IFrame API (external_api.js, loaded
 * from the deployment's own Jitsi server). The room opens when the person presses "Join the call" (so the
 * browser asks for camera and microphone then), with the token Meridian signed for them. */
(function () {
  "use strict";
  var _ = window.Meridian.gettext;

  function jitsiLanguage(tag) {
    tag = (tag || "en").toLowerCase();
    if (tag.indexOf("zh") === 0) return "zhCN";
    return tag.split("-")[0];
  }

  function start() {
    var frame = document.querySelector("[data-conference]");
    if (!frame) return;
    var join = document.querySelector("[data-action='join-call']");
    var leave = document.querySelector("[data-action='leave-call']");
    var error = document.querySelector("[data-call-error]");
    var api = null;

    function close() {
      if (api) { api.dispose(); api = null; }
      frame.textContent = "";
      frame.hidden = true;
      join.hidden = false;
      leave.hidden = true;
    }

    join.addEventListener("click", function () {
      if (typeof window.JitsiMeetExternalAPI !== "function") {
        error.textContent = _("The video call could not be loaded from its server; reload the page or try again later.");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      frame.hidden = false;
      api = new window.JitsiMeetExternalAPI(frame.dataset.domain, {
        roomName: frame.dataset.room, jwt: frame.dataset.token, parentNode: frame,
        width: "100%", height: "100%", lang: jitsiLanguage(frame.dataset.lang)
      });
      api.addListener("readyToClose", close);
      join.hidden = true;
      leave.hidden = false;
    });
    leave.addEventListener("click", close);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
