/* Moderator console: small enhancements; every page works without them. */
(function () {
  "use strict";

  // Examples: a "Select all" box above the picked examples.
  function selectAll(form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-pick]"));
    if (boxes.length < 2) return;
    var wrap = document.createElement("div");
    wrap.className = "select-all";
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = "pick-all";
    var label = document.createElement("label");
    label.htmlFor = "pick-all";
    label.textContent = "Select all examples";
    wrap.appendChild(all);
    wrap.appendChild(label);
    var list = form.querySelector(".cards");
    list.parentNode.insertBefore(wrap, list);
    function sync() {
      var on = boxes.filter(function (b) { return b.checked; }).length;
      all.checked = on === boxes.length;
      all.indeterminate = on > 0 && on < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    form.addEventListener("submit", function (event) {
      if (!boxes.some(function (b) { return b.checked; })) {
        event.preventDefault();
        all.focus();
        label.textContent = "Select all examples (pick at least one for the pack)";
      }
    });
    sync();
  }

  // Tables marked data-sortable: header buttons sort the rows; aria-sort tells which way.
  function sortable(table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var body = table.tBodies[0];
    heads.forEach(function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a.cells[index], kind), y = value(b.cells[index], kind);
          var blankX = x === null, blankY = y === null;
          if (blankX || blankY) return blankX === blankY ? 0 : (blankX ? 1 : -1); // blanks last
          var c = kind === "number" ? x - y : String(x).localeCompare(String(y));
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function value(cell, kind) {
    var raw = cell.getAttribute("data-value");
    if (raw === null) raw = cell.textContent.trim();
    if (raw === "") return null;
    if (kind === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw;
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-pick-form]"), selectAll);
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), sortable);
  });
})();
