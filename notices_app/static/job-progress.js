// Background jobs (edition builds, proofs, previews): an element with data-progress-url shows a
// <progress> bar and a [data-progress-label]; this polls the URL (JSON from notices_app/jobs
// progress) until the job has finished, then loads the JSON's planner_url (or reloads the page)
// so the server renders the outcome. Polling slows down while the tab is hidden.
(function () {
  "use strict";
  var INTERVAL = 1000, HIDDEN_INTERVAL = 5000, MAX_FAILURES = 10;

  function follow(el) {
    var url = el.getAttribute("data-progress-url");
    var bar = el.querySelector("progress");
    var label = el.querySelector("[data-progress-label]");
    var failures = 0;

    function show(data) {
      if (bar) {
        bar.max = Math.max(data.total || 1, 1);
        bar.value = Math.min(data.done || 0, bar.max);
      }
      if (label) {
        var text = data.label || data.stage || "";
        if (data.total) text += " " + data.done + "/" + data.total;
        if (data.stalled) text += " · " + (el.getAttribute("data-stalled") || "");
        label.textContent = text;
      }
    }

    function schedule() {
      window.setTimeout(poll, document.hidden ? HIDDEN_INTERVAL : INTERVAL);
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (resp) {
          if (!resp.ok) throw new Error("HTTP " + resp.status);
          return resp.json();
        })
        .then(function (data) {
          failures = 0;
          show(data);
          if (data.finished) {
            el.classList.add("finished");
            var target = new URL(data.planner_url || window.location.href, window.location.href);
            // Assigning the same URL with only the #fragment changed would not reload the page.
            if (target.pathname + target.search === window.location.pathname + window.location.search) {
              window.location.reload();
            } else {
              window.location.assign(target.href);
            }
            return;
          }
          schedule();
        })
        .catch(function () {
          failures += 1;
          if (failures < MAX_FAILURES) schedule();
          else if (label) label.textContent = el.getAttribute("data-lost") || label.textContent;
        });
    }

    schedule();
  }

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    document.querySelectorAll("[data-progress-url]").forEach(follow);
  });
})();
