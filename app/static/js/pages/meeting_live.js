/* The live meeting page (/meetings/<id>/live). Subscribes to meeting:<id> (which records presence) and to
 * case:<id> for each agenda case the viewer may see (outcome events). On any event it re-reads
 * GET /api/v1/meetings/<id>/live (and GET /api/v1/cases/<id>/outcome for the case in focus) and updates
 * the page: current case (aria-current), item statuses, who is present, the notes, the outcome. Buttons
 * call the live and outcomes APIs; a problem+json answer is shown beside the control. */
(function () {
  "use strict";
  var _ = window.Meridian.gettext;
  var root, ui = {}, state = null, focus = null, outcomeBody = null, outcomeFor = null;
  var notesDirty = false, notesFor, notesHint = "", formDirty = false, live = null, subscribed = {}, timers = {};

  function $(sel, ctx) { return (ctx || root).querySelector(sel); }
  function $$(sel, ctx) { return Array.prototype.slice.call((ctx || root).querySelectorAll(sel)); }
  function later(name, fn, ms) { clearTimeout(timers[name]); timers[name] = setTimeout(fn, ms || 120); }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function call(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = window.Meridian ? window.Meridian.csrf : "";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.json().catch(function () { return {}; })
          .then(function (json) { return { ok: response.ok, status: response.status, body: json }; });
      })
      .catch(function () { return { ok: false, status: 0, body: { detail: _("No connection: check it and try again.") } }; });
  }

  // An error beside its control (or cleared with message null).
  function say(node, message) {
    if (!node) return;
    node.textContent = message || "";
    node.hidden = !message;
  }
  function problem(result) { return result.body.detail || result.body.title || _("Failed (HTTP %(status)s).", { status: result.status }); }

  function localeTag() { return window.Meridian.lang === "en" ? "en-GB" : window.Meridian.lang; }

  // A calendar date ("2026-12-03", no time of day) as the reader's language writes it: "3 Dec 2026".
  function day(isoDate) {
    if (!isoDate) return "";
    var date = new Date(isoDate + "T00:00:00Z");
    return isNaN(date) ? isoDate
      : date.toLocaleDateString(localeTag(), { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
  }

  // "14:05 (Asia/Kolkata, UTC+05:30)": an instant in the viewer's zone, naming it; with its date
  // ("2 Dec, 14:05 (…)") when that is not today there.
  function local(iso) {
    var zone = root.dataset.zone, date = new Date(iso);
    var time = date.toLocaleTimeString(localeTag(),
                                       { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
    var dateOf = function (d) { return d.toLocaleDateString("en-CA", { timeZone: zone }); };
    if (dateOf(date) !== dateOf(new Date())) {
      time = date.toLocaleDateString(localeTag(), { timeZone: zone, day: "numeric", month: "short" }) + ", " + time;
    }
    var offset = "";
    try {
      offset = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" })
        .formatToParts(date).filter(function (p) { return p.type === "timeZoneName"; })[0].value;
    } catch (e) { /* older browsers: zone only */ }
    offset = offset === "GMT" ? "UTC+00:00" : offset.replace("GMT", "UTC");
    return time + " (" + (root.dataset.zoneName || zone) + (offset ? ", " + offset : "") + ")";
  }

  function item(caseId) {
    return state ? state.agenda.filter(function (i) { return i.case_id === caseId; })[0] : null;
  }

  // --- the meeting's state -------------------------------------------------------------------------

  function refresh() {
    call("GET", root.dataset.stateUrl).then(function (result) {
      if (!result.ok) { say(ui.status, _("Could not refresh: %(reason)s", { reason: problem(result) })); return; }
      apply(result.body);
    });
  }

  function apply(next) {
    var previousCurrent = state ? state.current_case_id : undefined;
    state = next;
    var running = state.status === "in_progress";
    ui.meetingStatus.textContent = window.Meridian.label(state.status);
    ui.meetingStatus.className = "status status-" + state.status;
    if (state.started_at && ui.started) ui.started.textContent = "· " + _("started %(when)s", { when: local(state.started_at) });
    var start = $('[data-action="start"]'), finish = $('[data-action="finish"]');
    if (start) start.disabled = state.status !== "scheduled";
    if (finish) finish.disabled = !running;

    // Rows by position and case (a case the viewer may not see has a position and no id).
    var shown = $$("[data-agenda] > li[data-position]").map(function (li) { return li.dataset.position + ":" + (li.dataset.caseId || ""); });
    var listed = state.agenda.map(function (i) { return i.position + ":" + (i.case_id || ""); });
    if (shown.join() !== listed.join()) later("agenda", reloadAgenda, 50);
    $$("[data-agenda] > li[data-case-id]").forEach(function (li) {
      var it = item(Number(li.dataset.caseId));
      if (!it) return;
      var current = it.case_id === state.current_case_id;
      li.dataset.status = it.status;
      $("[data-item-status]", li).textContent = window.Meridian.label(it.status);
      $("[data-item-status]", li).className = "status status-item-" + it.status;
      if (current) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
      $("[data-current-label]", li).hidden = !current;
      var makeCurrent = $('[data-action="current"]', li), discussed = $('[data-action="discussed"]', li);
      if (makeCurrent) makeCurrent.disabled = !running || current || it.status !== "listed";
      if (discussed) discussed.disabled = !running || it.status !== "listed";
    });

    ui.presence.textContent = "";
    state.present.forEach(function (person) {
      var li = el("li");
      li.dataset.userId = person.user_id;
      li.appendChild(el("strong", person.name));
      li.appendChild(document.createTextNode(" — " + person.local_time + " (" + (person.zone_name || person.timezone) +
                                             ", UTC" + person.utc_offset + ")"));
      ui.presence.appendChild(li);
    });

    // The chair's warnings: required disciplines absent, cases that cannot be signed.
    var warningBox = $("[data-chair-warnings]");
    if (warningBox) {
      var messages = (state.warnings && state.warnings.messages) || [];
      var list = $("[data-chair-warning-list]", warningBox);
      list.textContent = "";
      messages.forEach(function (message) { list.appendChild(el("li", message)); });
      warningBox.hidden = !messages.length;
    }
    if (!state.present.length) {
      ui.presence.appendChild(el("li", state.status === "finished" ? _("The meeting has finished.") : _("Nobody is present yet."), "muted"));
    }

    // The outcome panel follows the case made current; otherwise it stays where it is (or the last discussed).
    var wanted = focus;
    if (state.current_case_id && state.current_case_id !== previousCurrent) wanted = state.current_case_id;
    if (!item(wanted)) wanted = state.current_case_id || lastDiscussed();
    setFocus(wanted, false);
  }

  function lastDiscussed() {
    var done = state.agenda.filter(function (i) { return i.status === "discussed"; });
    return done.length ? done[done.length - 1].case_id : null;
  }

  // The notes of the case under discussion (editable for those allowed), else those of the case in focus.
  function renderNotes() {
    if (!state) return;
    var current = item(state.current_case_id), shown = current || item(focus);
    var editable = !!(state.may_edit_notes && state.status === "in_progress" && current && current.access === "full");
    ui.notesCase.textContent = current ? _("Case #%(id)s is under discussion.", { id: current.case_id })
      : _("No case is under discussion.") + (shown ? " " + _("Notes of case #%(id)s, read only.", { id: shown.case_id }) : "");
    ui.notes.readOnly = !editable;
    if (ui.saveNotes) ui.saveNotes.disabled = !editable;
    var text = shown && shown.access === "full" && shown.notes ? shown.notes : "";
    var id = shown ? shown.case_id : null;
    if (id !== notesFor) ui.notesHint.textContent = notesHint;
    if (id !== notesFor || !notesDirty || !editable) {
      ui.notes.value = text; notesDirty = false; notesFor = id;
    } else if (ui.notes.value !== text) {
      ui.notesHint.textContent = _("Someone else changed these notes; saving replaces their version.");
    }
  }

  function saveNotes() {
    var error = $("#live-notes-error");
    if (!state || !state.current_case_id) { say(error, _("No case is under discussion.")); return; }
    ui.saveNotes.disabled = true;
    call("PUT", root.dataset.stateUrl + "/notes", { case_id: state.current_case_id, notes: ui.notes.value })
      .then(function (result) {
        ui.saveNotes.disabled = false;
        if (!result.ok) { say(error, problem(result)); ui.notes.setAttribute("aria-invalid", "true"); return; }
        say(error, null);
        ui.notes.removeAttribute("aria-invalid");
        notesDirty = false;
        apply(result.body);
        ui.notesHint.textContent = _("Saved. Everyone at the meeting sees these notes.");
      });
  }

  function reloadAgenda() {
    fetch(root.dataset.pageUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-agenda]");
        if (fresh) { $("[data-agenda]").innerHTML = fresh.innerHTML; subscribeCases(); if (state) apply(state); }
      })
      .catch(function () { say(ui.status, _("The agenda changed; reload the page to see it.")); });
  }

  // --- chair controls --------------------------------------------------------------------------------

  function chair(button) {
    var action = button.dataset.action, caseId = Number(button.dataset.caseId);
    var paths = { start: "/start", finish: "/finish", current: "/current-case", discussed: "/discussed" };
    var error = document.getElementById(button.getAttribute("aria-describedby"));
    if (action === "finish" && !window.confirm(_("Finish the meeting? Cases not discussed roll over."))) return;
    button.disabled = true;
    call("POST", root.dataset.stateUrl + paths[action], caseId ? { case_id: caseId } : undefined)
      .then(function (result) {
        if (!result.ok) { button.disabled = false; say(error, problem(result)); return; }
        say(error, null);
        if (action === "discussed") focus = caseId;
        apply(result.body);
        // Keep keyboard focus on the page when the pressed button is now disabled.
        if (button.disabled) (caseId ? button.closest("li") : $("#chair-heading")).focus();
      });
  }

  // --- the outcome of the case in focus --------------------------------------------------------------

  var STAGING_FIELDS = ["clinical_t", "clinical_n", "clinical_m", "pathological_t", "pathological_n", "stage_group"];
  var OUTCOME_FIELDS = ["recommendation", "category", "rationale", "dissent", "tnm_edition"].concat(STAGING_FIELDS);
  var STAGING_PREFIX = { clinical_t: "c", clinical_n: "c", clinical_m: "c", pathological_t: "p", pathological_n: "p" };

  function stagingText(outcome) {
    var parts = STAGING_FIELDS.filter(function (name) { return outcome[name] && STAGING_PREFIX[name]; })
      .map(function (name) { return STAGING_PREFIX[name] + outcome[name]; });
    if (outcome.stage_group) parts.push(_("stage group %(group)s", { group: outcome.stage_group }));
    if (!parts.length) return "—";
    return parts.join(" ") + (outcome.tnm_edition ? " (" + _("TNM edition %(edition)s", { edition: outcome.tnm_edition }) + ")" : "");
  }

  // --- the draft's actions: who does what, by when -------------------------------------------------
  var actionRowCount = 0;

  function addActionRow(action) {
    var list = $("[data-action-rows]", ui.form), template = $("template[data-action-row]", ui.form);
    var row = template.content.firstElementChild.cloneNode(true), n = ++actionRowCount;
    $$("[data-part]", row).forEach(function (control) {
      control.id = "outcome-action-" + n + "-" + control.dataset.part;
      row.querySelector('label[data-for="' + control.dataset.part + '"]').htmlFor = control.id;
    });
    var owner = $('[data-part="owner"]', row), referrers = JSON.parse(ui.form.dataset.referrers || "{}");
    var referrer = referrers[String(focus)];
    if (referrer && !owner.querySelector('option[value="' + referrer[0] + '"]')) {
      var option = el("option", ui.form.dataset.referrerLabel.replace("%(name)s", referrer[1]));
      option.value = referrer[0];
      owner.insertBefore(option, owner.firstChild);
    }
    if (action) {
      $('[data-part="action"]', row).value = action.action;
      if (!owner.querySelector('option[value="' + action.owner_id + '"]')) {
        var known = el("option", action.owner_name || String(action.owner_id));
        known.value = action.owner_id;
        owner.appendChild(known);
      }
      owner.value = String(action.owner_id);
      $('[data-part="due"]', row).value = action.due;
    } else if (referrer) {
      owner.value = String(referrer[0]);
    }
    list.appendChild(row);
    return row;
  }

  function setActionRows(actions) {
    $("[data-action-rows]", ui.form).textContent = "";
    (actions || []).forEach(addActionRow);
  }

  function actionsOf(form) {
    return $$("[data-action-rows] li", form).map(function (row) {
      return { action: $('[data-part="action"]', row).value.trim(), owner_id: Number($('[data-part="owner"]', row).value),
               due: $('[data-part="due"]', row).value.trim() };
    }).filter(function (action) { return action.action || action.due; });
  }

  function setFocus(caseId, reload) {
    caseId = caseId || null;
    if (caseId !== focus) { focus = caseId; formDirty = false; }
    ui.outcomeCase.textContent = focus ? _("of case #%(id)s", { id: focus }) : "";
    renderNotes();
    if (reload || outcomeFor !== focus) loadOutcome(); else renderOutcome(outcomeBody);
    loadCasePanel();
  }

  // The pro-forma and images beside the notes (preparation_views.live_case_panel) follow the same case.
  var panelFor = null;
  function loadCasePanel() {
    var panel = document.querySelector("[data-live-case]");
    if (!panel || !window.htmx || panelFor === focus) return;
    panelFor = focus;
    window.htmx.ajax("GET", panel.dataset.panelUrl + (focus ? "?case=" + focus : ""), { target: panel, swap: "innerHTML" });
  }

  function loadOutcome() {
    var wanted = focus, it = item(wanted);
    if (!wanted || (it && !it.access)) {
      outcomeFor = wanted; outcomeBody = null; renderOutcome(null);
      if (wanted) ui.outcomeStatus.textContent = _("You have no access to case #%(id)s.", { id: wanted });
      return;
    }
    call("GET", "/api/v1/cases/" + wanted + "/outcome").then(function (result) {
      if (wanted !== focus) return;
      outcomeFor = wanted;
      outcomeBody = result.ok ? result.body : null;
      renderOutcome(outcomeBody);
      if (!result.ok) ui.outcomeStatus.textContent = problem(result);
    });
  }

  function hideOutcome() {
    ui.version.hidden = true;
    if (ui.signBox) ui.signBox.hidden = true;
    if (ui.form) ui.form.hidden = true;
  }

  function renderOutcome(body) {
    hideOutcome();
    if (!body) { ui.outcomeStatus.textContent = _("No case discussed yet."); return; }
    if (body.access === "summary") {
      ui.outcomeStatus.textContent = body.signed ? _("Signed (summary access: the content is not shown).")
        : (body.exists ? _("Drafted, not yet signed.") : _("No outcome yet."));
      return;
    }
    var it = item(focus), shown = body.draft || body.current;
    // The outcome may be drafted while its case is under discussion; it is signed once discussed.
    var discussing = !!(it && it.status === "listed" && state && state.status === "in_progress"
                        && state.current_case_id === focus);
    if (!shown) {
      ui.outcomeStatus.textContent = it && it.status === "discussed" ? _("No outcome drafted yet.")
        : (discussing ? _("Case #%(id)s is being discussed: draft the outcome now; it is signed once the chair marks the case discussed.", { id: focus })
          : _("The outcome can be drafted once the chair marks case #%(id)s discussed.", { id: focus }));
    } else if (!body.draft) {
      ui.outcomeStatus.textContent = _("Signed: version %(version)s, complete at %(when)s.",
                                       { version: shown.version, when: local(shown.signed_at) });
    } else {
      ui.outcomeStatus.textContent = shown.missing_disciplines.length
        ? _("Draft version %(version)s, waiting for signatures from: %(disciplines)s.",
            { version: shown.version, disciplines: shown.missing_disciplines.map(window.Meridian.label).join(_(", ")) })
        : _("Draft version %(version)s, waiting for signatures.", { version: shown.version });
    }
    ui.outcomeStatus.dataset.signed = body.draft ? "no" : (body.signed ? "yes" : "no");
    if (shown) {
      ui.version.hidden = false;
      // An amendment says why it replaces the version in force: those signing it read that first.
      $('[data-outcome-field="amendment_reason"]').textContent = shown.amendment_reason || "";
      $$("[data-amendment-reason]").forEach(function (node) { node.hidden = !shown.amendment_reason; });
      $('[data-outcome-field="recommendation"]').textContent = shown.recommendation;
      $('[data-outcome-field="category"]').textContent = window.Meridian.label(shown.category);
      $('[data-outcome-field="staging"]').textContent = stagingText(shown);
      var actionList = $('[data-outcome-field="actions"]');
      actionList.textContent = "";
      shown.actions.forEach(function (a) {
        actionList.appendChild(el("li", _("%(action)s — %(owner)s, by %(due)s", { action: a.action, owner: a.owner_name, due: day(a.due) })));
      });
      if (!shown.actions.length) actionList.appendChild(el("li", "—"));
      ui.signatures.textContent = "";
      shown.signatures.forEach(function (s) {
        ui.signatures.appendChild(el("li", _("%(name)s (%(discipline)s) signed at %(when)s",
                                         { name: s.name, discipline: window.Meridian.label(s.discipline), when: local(s.signed_at) })));
      });
      if (!shown.signatures.length) ui.signatures.appendChild(el("li", _("No signatures yet."), "muted"));
    }
    var me = Number(root.dataset.userId);
    if (ui.signBox && body.draft) {
      ui.signBox.hidden = body.draft.signatures.some(function (s) { return s.user_id === me; });
    }
    if (ui.form && it && (it.status === "discussed" || discussing) && (body.draft || !body.current)) {
      ui.form.hidden = false;
      ui.form.querySelector('button[type="submit"]').textContent = body.draft ? _("Update draft") : _("Save draft");
      if (!formDirty) {
        OUTCOME_FIELDS.forEach(function (name) {
          var value = body.draft ? body.draft[name] : null;
          ui.form.elements[name].value = value || (name === "category" ? ui.form.elements[name].options[0].value : "");
        });
        setActionRows(body.draft ? body.draft.actions : []);
      }
    }
  }

  function fieldErrors(errors) {
    $$("[data-error-for]", ui.form).forEach(function (node) { say(node, null); });
    $$("[aria-invalid]", ui.form).forEach(function (node) { node.removeAttribute("aria-invalid"); });
    (errors || []).forEach(function (error) {
      var path = (error.field || "").split(/[.[\]]+/), name = path[0];
      var node = ui.form.querySelector('[data-error-for="' + name + '"]') || ui.form.querySelector('[data-error-for=""]');
      // Which action row, counted as people count; other fields are named by their label, never by
      // the API's field path.
      var where = name === "actions" && /^\d+$/.test(path[1] || "") ? _("Action %(number)s: ", { number: Number(path[1]) + 1 }) : "";
      if (!node.dataset.errorFor && ui.form.elements[name]) {
        var labelNode = ui.form.querySelector('label[for="' + ui.form.elements[name].id + '"]');
        if (labelNode) where = labelNode.textContent.trim() + ": ";
      }
      say(node, where + error.message);
      if (ui.form.elements[name]) ui.form.elements[name].setAttribute("aria-invalid", "true");
    });
  }

  function saveDraft(event) {
    event.preventDefault();
    var caseId = focus, form = ui.form, general = form.querySelector('[data-error-for=""]');
    var body = { recommendation: form.elements.recommendation.value, category: form.elements.category.value,
                 rationale: form.elements.rationale.value || null, dissent: form.elements.dissent.value || null };
    STAGING_FIELDS.forEach(function (name) { body[name] = form.elements[name].value.trim() || null; });
    body.tnm_edition = form.elements.tnm_edition.value ? Number(form.elements.tnm_edition.value) : null;
    body.actions = actionsOf(form);
    fieldErrors([]);
    call("PUT", "/api/v1/cases/" + caseId + "/outcome", body).then(function (result) {
      if (!result.ok) {
        if (result.body.errors && result.body.errors.length) fieldErrors(result.body.errors); else say(general, problem(result));
        return;
      }
      formDirty = false;
      loadOutcome();
    });
  }

  function sign(button) {
    var draft = outcomeBody && outcomeBody.draft, error = $("#sign-error");
    if (!draft) return;
    button.disabled = true;
    call("POST", "/api/v1/outcomes/" + draft.id + "/sign").then(function (result) {
      button.disabled = false;
      if (!result.ok) { say(error, problem(result)); return; }
      say(error, null);
      loadOutcome();
    });
  }

  // --- live ------------------------------------------------------------------------------------------

  function subscribeCases() {
    if (!live) return;
    $$("[data-agenda] > li[data-case-id]").forEach(function (li) {
      var caseId = Number(li.dataset.caseId), room = "case:" + caseId;
      if (li.dataset.access === "none" || subscribed[room]) return;
      subscribed[room] = true;
      live.subscribe(room, function (event) {
        if (caseId !== focus) return;
        if (event.type.indexOf("outcome.") === 0 || event.type === "case.state_changed") later("outcome", loadOutcome);
      });
    });
  }

  function connect() {
    var room = "meeting:" + root.dataset.meetingId;
    live = window.MeridianLive.connect({
      onSubscribed: function (subscribedRoom) {
        if (subscribedRoom === room) { say(ui.status, _("Live: updates as the meeting moves.")); later("state", refresh); }
        else if (focus && subscribedRoom === "case:" + focus) later("outcome", loadOutcome);
      },
      onReset: function () { later("state", refresh); later("outcome", loadOutcome); },
      // Access narrowed (e.g. consent withdrawn): forget the room, re-render the agenda at the access
      // now held (which subscribes again where anything is left to see) and re-read the state.
      onRevoked: function (revokedRoom) {
        delete subscribed[revokedRoom];
        later("agenda", reloadAgenda);
        later("state", refresh);
      },
      onError: function (where, error) {
        // The protocol's reason (English, for developers) goes to the console; the reader gets a sentence.
        if (window.console && error) console.warn("live:", error);
        if (!where || where === room) say(ui.status, _("Live updates are unavailable; reload the page to try again."));
      },
    });
    live.socket.on("disconnect", function () { say(ui.status, _("Reconnecting…")); });
    live.subscribe(room, function (event) {
      // Events name agenda positions, never cases: the viewer's own state says which case is there.
      if (event.type === "agenda.case_discussed") {
        var at = state ? state.agenda.filter(function (i) { return i.position === event.data.position; })[0] : null;
        if (at && at.case_id) focus = at.case_id;
      }
      if (event.type === "agenda.changed") later("agenda", reloadAgenda);
      later("state", refresh);
    });
    subscribeCases();
    window.MeridianMeetingLive = { live: live, refresh: refresh };
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.querySelector("[data-meeting-live]");
    if (!root) return;
    ui = { status: $("[data-live-status]"), meetingStatus: $("[data-meeting-status]"), started: $("[data-started]"),
           presence: $("[data-presence]"), notes: $("[data-notes-text]"), notesCase: $("[data-notes-case]"),
           notesHint: $("[data-notes-hint]"), saveNotes: $('[data-action="save-notes"]'),
           outcomeCase: $("[data-outcome-case]"), outcomeStatus: $("[data-outcome-status]"),
           version: $("[data-outcome-version]"), signatures: $("[data-signatures]"), signBox: $("[data-sign-box]"),
           form: $("[data-outcome-form]") };
    focus = Number(root.dataset.focusCase) || null;
    panelFor = focus;  // the page loads that one itself
    notesHint = ui.notesHint.textContent;
    root.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button || button.disabled) return;
      var action = button.dataset.action;
      if (action === "add-action") { formDirty = true; $('[data-part="action"]', addActionRow(null)).focus(); }
      else if (action === "remove-action") { formDirty = true; button.closest("li").remove(); }
      else if (action === "save-notes") saveNotes();
      else if (action === "sign") sign(button);
      else if (action === "focus") setFocus(Number(button.dataset.caseId), true);
      else chair(button);
    });
    ui.notes.addEventListener("input", function () { notesDirty = true; });
    if (ui.form) {
      ui.form.addEventListener("input", function () { formDirty = true; });
      ui.form.addEventListener("submit", saveDraft);
    }
    loadOutcome();
    if (window.io && window.MeridianLive) connect(); else say(ui.status, _("Live updates unavailable: reload to see changes."));
    setInterval(function () { if (!document.hidden) refresh(); }, 60000);  // local times move on
  });
})();
