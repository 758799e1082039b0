/* A case's attachments (case page and draft form): upload to POST /api/v1/cases/<id>/attachments
 * (multipart, X-CSRFToken). A file over the limit (data-max-bytes) is refused before anything is sent;
 * the upload shows its progress (XMLHttpRequest upload events); the list and its count update without
 * a reload. Every message is a whole sentence from the catalogue, shown beside the file field. */
(function () {
  "use strict";
  var _ = window.Meridian.gettext;
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function sizeText(bytes) {
    var lang = window.Meridian.lang;
    if (bytes >= 1024 * 1024) return _("%(size)s MB", { size: (Math.round(bytes / 104857.6) / 10).toLocaleString(lang) });
    if (bytes >= 1024) return _("%(size)s KB", { size: Math.round(bytes / 1024).toLocaleString(lang) });
    return _("%(size)s bytes", { size: bytes.toLocaleString(lang) });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-upload-form]");
    if (!form) return;
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-upload-progress]");
    var status = form.querySelector("[data-upload-status]");
    var field = form.querySelector("[data-upload-field]");
    var button = form.querySelector('button[type="submit"]');
    var limit = parseInt(form.dataset.maxBytes, 10) || 0;
    status.textContent = _("The type is judged by the file's content, not its name.");
    function show(message, failed) {
      status.textContent = message;
      status.className = failed ? "error" : "hint";
      field.classList.toggle("has-error", !!failed);
      if (failed) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
    function tooLarge(file) {
      return limit && file.size > limit
        ? _("%(name)s is %(size)s, larger than the limit of %(limit)s; it was not uploaded.",
            { name: file.name, size: sizeText(file.size), limit: form.dataset.maxSize })
        : null;
    }
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file) return;
      var refused = tooLarge(file);
      if (refused) show(refused, true);
      else show(_("%(name)s (%(size)s) is ready to upload.", { name: file.name, size: sizeText(file.size) }), false);
    });
    function added(body) {
      var list = document.querySelector("[data-attachment-list]");
      var none = list.querySelector("[data-no-attachments]");
      if (none) none.remove();
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = body.content_url; a.textContent = body.filename;
      li.appendChild(a);
      var about = document.createElement("span");
      about.className = "muted";
      about.textContent = " " + body.media_type + ", " + _("%(size)s bytes", { size: body.size_bytes.toLocaleString(window.Meridian.lang) });
      li.appendChild(about);
      list.appendChild(li);
      var count = document.querySelector("[data-attachment-count]");
      // The page lists the newest attachments only; the count is of them all.
      if (count) count.textContent = (parseInt(count.textContent, 10) || 0) + 1;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.files.length) { show(_("Choose a file first."), true); return; }
      var file = input.files[0];
      var refused = tooLarge(file);
      if (refused) { show(refused, true); return; }
      var data = new FormData();
      data.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0; button.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          show(_("Uploading %(name)s: %(percent)s%.", { name: file.name, percent: bar.value }), false);
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        button.disabled = false;
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200 || xhr.status === 201) {
          bar.value = 100;
          show(xhr.status === 201 ? _("%(name)s is attached to the case.", { name: body.filename })
                                   : _("%(name)s was already attached.", { name: body.filename }), false);
          if (xhr.status === 201) added(body);
          form.reset();
        } else {
          bar.hidden = true;
          var message = (body.errors && body.errors[0] && body.errors[0].message) || body.detail
            || _("The upload failed (error %(status)s); try again.", { status: xhr.status });
          show(message, true);
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false; bar.hidden = true;
        show(_("The upload failed: check the connection and try again."), true);
      });
      xhr.send(data);
    });
  });
})();
