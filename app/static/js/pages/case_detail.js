/* Case page: upload an attachment to POST /api/v1/cases/<id>/attachments (multipart, X-CSRFToken),
 * showing progress (XMLHttpRequest upload events); errors are shown beside the file field. */
(function () {
  "use strict";
  var _ = window.Meridian.gettext;
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-upload-form]");
    if (!form) return;
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-upload-progress]");
    var status = form.querySelector("[data-upload-status]");
    var field = form.querySelector("[data-upload-field]");
    status.textContent = _("Up to the size limit; the type is judged by content.");
    function show(message, failed) {
      status.textContent = message;
      status.className = failed ? "error" : "hint";
      field.classList.toggle("has-error", !!failed);
      if (failed) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.files.length) { show(_("Choose a file first."), true); return; }
      var data = new FormData();
      data.append("file", input.files[0]);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          show(_("Uploading… %(percent)s%", { percent: bar.value }), false);
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200 || xhr.status === 201) {
          bar.value = 100;
          show(xhr.status === 201 ? _("Uploaded %(name)s.", { name: body.filename })
                                   : _("%(name)s was already attached.", { name: body.filename }), false);
          var list = document.querySelector("[data-attachment-list]");
          var none = list.querySelector("[data-no-attachments]");
          if (none) none.remove();
          if (xhr.status === 201) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = body.content_url; a.textContent = body.filename;
            li.appendChild(a);
            li.appendChild(document.createTextNode(" " + body.media_type + ", " + _("%(size)s bytes", { size: body.size_bytes.toLocaleString(window.Meridian.lang) })));
            list.appendChild(li);
          }
          form.reset();
        } else {
          var message = (body.errors && body.errors[0] && body.errors[0].message) || body.detail || _("Upload failed (%(status)s).", { status: xhr.status });
          show(message, true);
        }
      });
      xhr.addEventListener("error", function () { show("The upload failed: check the connection and try again.", true); });
      xhr.send(data);
    });
  });
})();
