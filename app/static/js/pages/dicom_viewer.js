/* The DICOM viewer (dwv, served by Meridian from vendor/dwv): loads every image of the series the
   page lists, scrolls through them with the wheel (dwv's window-level tool) or the slider, and sets the
   window by dragging.
   The images come from /attachments/<id>/inline, which serves a de-identified copy across a border. */
import { App, AppOptions, Index, ToolConfig, ViewConfig } from "../../vendor/dwv/dwv.min.js";

const _ = (msgid, params) => (window.Meridian ? window.Meridian.gettext(msgid, params) : msgid);

function start(root) {
  const status = root.querySelector("[data-dicom-status]");
  const slider = root.querySelector("[data-dicom-slider]");
  const position = root.querySelector("[data-dicom-position]");
  const urls = root.dataset.urls.split(" ").filter(Boolean)
    .map((id) => root.dataset.urlPattern.replace("{id}", id));
  const app = new App();
  const options = new AppOptions({ "*": [new ViewConfig("dicom-layer-group")] });
  options.tools = { Scroll: new ToolConfig(), WindowLevel: new ToolConfig() };
  app.init(options);

  function controller() {
    const group = app.getActiveLayerGroup();
    const layer = group ? group.getActiveViewLayer() : undefined;
    return layer ? layer.getViewController() : undefined;
  }
  function showPosition() {
    const vc = controller();
    if (!vc) return;
    const index = vc.getCurrentIndex().get(vc.getScrollDimIndex()) || 0;
    slider.value = String(index);
    position.textContent = String(index + 1);
  }

  app.addEventListener("load", () => {
    app.setTool("WindowLevel");
    status.textContent = _("%(count)s images loaded.", { count: urls.length });
    root.dataset.loaded = "yes";
    showPosition();
  });
  app.addEventListener("error", () => {
    status.textContent = _("The images could not be loaded.");
    root.dataset.loaded = "error";
  });
  app.addEventListener("positionchange", showPosition);
  // The image follows the page's width. dwv refuses to fit a container of no size, which it has for a
  // moment while the page is unloading or being captured, so such resizes are let pass.
  const container = root.querySelector("#dicom-layer-group");
  window.addEventListener("resize", () => {
    if (container.offsetWidth > 0 && container.offsetHeight > 0) app.onResize();
  });
  slider.addEventListener("input", () => {
    const vc = controller();
    if (!vc) return;
    const values = vc.getCurrentIndex().getValues();
    values[vc.getScrollDimIndex()] = Number(slider.value);
    vc.setCurrentIndex(new Index(values));
    showPosition();
  });
  app.loadURLs(urls, { withCredentials: true });
}

document.querySelectorAll("[data-dicom-viewer]").forEach(start);
