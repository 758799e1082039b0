/* The navigation's menu button at phone width (base.html): opens and closes the menu, keeps
   aria-expanded true to what is shown, and Escape closes it and returns focus to the button. Without
   this script the button stays hidden and the menu stays open. */
(function () {
  "use strict";
  var toggle = document.querySelector("[data-nav-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!toggle || !menu) return;
  document.documentElement.classList.add("has-nav-toggle");
  toggle.hidden = false;

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
