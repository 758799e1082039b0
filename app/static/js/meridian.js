/* Meridian pages: the unread badge, CSRF for htmx and fetch, the availability preview, the calendar feed.
   Plain JavaScript; every page works without it except the preview and the feed buttons. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  // The page's language: messages and labels come with the page (base.html), built from the same .po
  // files as the server's words (make translations). gettext("Free time in %(zone)s:", {zone: z}).
  var catalogue = { messages: {}, labels: {} };
  try {
    catalogue = JSON.parse(document.getElementById("meridian-catalogue").textContent) || catalogue;
  } catch (e) { /* no catalogue: English */ }
  var lang = document.documentElement.lang || "en";

  function gettext(msgid, params) {
    var text = (catalogue.messages && catalogue.messages[msgid]) || msgid;
    if (!params) return text;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }
  var _ = gettext;

  // A stored code (state, role, discipline) as the page's language says it.
  function label(code) {
    if (code === null || code === undefined) return "";
    return (catalogue.labels && catalogue.labels[code]) || String(code).replace(/_/g, " ");
  }

  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrf;
    return fetch(path, Object.assign({}, options, { headers: headers, credentials: "same-origin" }))
      .then(function (response) {
        if (response.status === 204) return null;
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || body.title || _("Failed (HTTP %(status)s).", { status: response.status }));
          return body;
        });
      });
  }

  function setUnread(count) {
    document.querySelectorAll("[data-unread-count]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.setAttribute("aria-label", _("%(count)s unread", { count: count }));
      badge.classList.toggle("badge-zero", !count);
    });
  }

  // The hook for live updates: live.js (or anything) dispatches
  //   document.dispatchEvent(new CustomEvent("meridian:unread", {detail: {unread: 3}}))
  document.addEventListener("meridian:unread", function (event) {
    if (event.detail && typeof event.detail.unread === "number") setUnread(event.detail.unread);
  });

  window.Meridian = { csrf: csrf, api: api, setUnread: setUnread, gettext: gettext, label: label, lang: lang };

  // htmx requests carry the CSRF token like a form would.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrf;
  });

  function pollUnread() {
    if (!document.querySelector("[data-unread-count]") || document.hidden) return;
    api("/api/v1/notifications?unread=true&limit=1").then(function (body) {
      setUnread(body.unread_count);
    }).catch(function () { /* keep the last count */ });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // Availability preview: GET /api/v1/specialists/{id}/availability, grouped by local day.
  function loadPreview(box) {
    var url = box.dataset.availabilityUrl + "?from=" + encodeURIComponent(box.dataset.from) +
      "&to=" + encodeURIComponent(box.dataset.to);
    api(url).then(function (body) {
      box.textContent = "";
      if (!body.intervals.length) {
        box.appendChild(el("p", _("No free time in this window: the matcher will not offer you any meeting."), "warn"));
        return;
      }
      var days = {};
      var order = [];
      body.intervals.forEach(function (interval) {
        var day = interval.local_start.slice(0, 10);
        if (!days[day]) { days[day] = []; order.push(day); }
        days[day].push(interval.local_start.slice(11, 16) + "–" + interval.local_end.slice(11, 16) +
          (interval.local_end.slice(0, 10) !== day ? " " + _("(next day)") : ""));
      });
      var list = el("dl", null, "preview");
      order.forEach(function (day) {
        var date = new Date(day + "T12:00:00Z");
        var dayLabel = date.toLocaleDateString(lang === "en" ? "en-GB" : lang,
                                               { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
        list.appendChild(el("dt", dayLabel));
        list.appendChild(el("dd", days[day].join(_(", "))));
      });
      box.appendChild(el("p", _("Free time in %(zone)s:", { zone: box.dataset.zoneName || body.timezone }), "hint"));
      box.appendChild(list);
    }).catch(function (error) {
      box.textContent = "";
      box.appendChild(el("p", _("The preview could not be loaded: %(reason)s", { reason: error.message }), "error"));
    });
  }

  // Calendar feed: POST (issue or regenerate) and DELETE (revoke) /api/v1/me/calendar-feed.
  function wireFeed(box) {
    var state = box.querySelector("[data-feed-state]");
    var urlBox = box.querySelector("[data-feed-url-box]");
    var urlInput = urlBox.querySelector("input");
    var issue = box.querySelector("[data-feed-issue]");
    var revoke = box.querySelector("[data-feed-revoke]");
    issue.addEventListener("click", function () {
      if (box.dataset.hasFeed === "yes" &&
          !window.confirm(_("Regenerate the link? The old link stops working at once."))) return;
      api(box.dataset.feedApi, { method: "POST" }).then(function (body) {
        box.dataset.hasFeed = "yes";
        urlInput.value = body.url;
        urlBox.hidden = false;
        revoke.hidden = false;
        issue.textContent = _("Regenerate link");
        state.textContent = _("A new link is ready. Copy it into your calendar app now.");
        urlInput.focus();
        urlInput.select();
      }).catch(function (error) { state.textContent = _("Could not create the link: %(reason)s", { reason: error.message }); });
    });
    revoke.addEventListener("click", function () {
      api(box.dataset.feedApi, { method: "DELETE" }).then(function () {
        box.dataset.hasFeed = "no";
        urlBox.hidden = true;
        urlInput.value = "";
        revoke.hidden = true;
        issue.textContent = _("Create link");
        state.textContent = _("The link is revoked; calendars using it stop updating.");
      }).catch(function (error) { state.textContent = _("Could not revoke the link: %(reason)s", { reason: error.message }); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var preview = document.getElementById("availability-preview");
    if (preview && preview.dataset.availabilityUrl) loadPreview(preview);
    var feed = document.getElementById("calendar-feed");
    if (feed) wireFeed(feed);
    window.setInterval(pollUnread, 60000);
  });

  // The unread count follows the person's own room live; after the pages' scripts have connected, so
  // it shares their socket. The 60 s poll stays as a fallback (and catches reads in other tabs).
  window.addEventListener("load", function () {
    var badge = document.querySelector("[data-unread-count][data-user-room]");
    if (!badge || !window.MeridianLive || !window.io) return;
    window.MeridianLive.shared().subscribe(badge.dataset.userRoom, function (event) {
      if (event.type === "notification.created" && typeof event.data.unread === "number") setUnread(event.data.unread);
    });
  });
})();
