// Add/remove rows of repeating fields, and the live preview + price while the filer types.
(function () {
  "use strict";
  const form = document.getElementById("notice-form");
  if (!form) return;

  function renumber(fieldset) {
    const name = fieldset.dataset.fieldlist;
    fieldset.querySelectorAll("[data-row]").forEach(function (row, i) {
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(new RegExp("^" + name + "-\\d+-"), name + "-" + i + "-"));
        });
      });
    });
  }

  form.addEventListener("click", function (ev) {
    const add = ev.target.closest("[data-add-row]");
    const remove = ev.target.closest("[data-remove-row]");
    if (add) {
      const fieldset = add.closest("[data-fieldlist]");
      const rows = fieldset.querySelectorAll("[data-row]");
      const template = rows[rows.length - 1];
      if (!template) return;
      const clone = template.cloneNode(true);
      clone.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
      });
      clone.querySelectorAll(".errors").forEach(function (el) { el.remove(); });
      clone.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      template.after(clone);
      renumber(fieldset);
      schedule();
    } else if (remove) {
      const fieldset = remove.closest("[data-fieldlist]");
      const rows = fieldset.querySelectorAll("[data-row]");
      if (rows.length > 1) { remove.closest("[data-row]").remove(); renumber(fieldset); schedule(); }
    }
  });

  const img = document.getElementById("live-img");
  const price = document.getElementById("live-price");
  const status = document.getElementById("live-status");
  const lines = document.getElementById("live-lines");
  const problems = document.getElementById("live-problems");
  let timer = null;
  let seq = 0;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  function refresh() {
    const mine = ++seq;
    status.textContent = status.dataset.busy || "排版中…";
    fetch(form.dataset.live, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;  // a newer request is on its way
        if (data.png) img.src = data.png;
        price.textContent = data.price_text || "—";
        lines.textContent = data.summary || "";
        status.textContent = data.status || "";
        problems.innerHTML = "";
        (data.problems || []).forEach(function (p) {
          const li = document.createElement("li");
          li.textContent = p;
          problems.appendChild(li);
        });
      })
      .catch(function () { if (mine === seq) status.textContent = "预览暂时不可用 / preview unavailable"; });
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  schedule();
})();
