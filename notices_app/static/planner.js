// The editors' desk: show/hide the block outlines on the page images, keep the rebuild button
// from being pressed twice while a build runs.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-toggle-outlines]");
  if (toggle) {
    toggle.addEventListener("change", function () {
      document.body.classList.toggle("hide-outlines", !toggle.checked);
    });
  }
  document.querySelectorAll("form[data-rebuild]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button");
      if (button) {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy") || button.textContent;
      }
    });
  });
  // form[data-confirm] is handled site-wide by site.js.
})();
