// Behaviour the Content-Security-Policy keeps out of the HTML (no style="" or on…="" attributes):
// boxes over page images placed from data-rect="left top width height" (percent), and a
// confirmation before submitting any form marked data-confirm="question".
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    document.querySelectorAll("[data-rect]").forEach(function (el) {
      var r = el.getAttribute("data-rect").trim().split(/\s+/).map(Number);
      if (r.length !== 4 || r.some(function (v) { return !isFinite(v); })) return;
      // CSSOM assignments are allowed under style-src 'self'; style attributes are not.
      el.style.left = r[0] + "%";
      el.style.top = r[1] + "%";
      el.style.width = r[2] + "%";
      el.style.height = r[3] + "%";
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
