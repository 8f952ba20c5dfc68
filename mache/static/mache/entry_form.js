// The manual entry's page (accounting/templates/accounting/entry_form.html). A static
// file: the Content-Security-Policy refuses inline scripts. Without JavaScript the page
// works the same: "Ajouter une ligne" asks the server for one more row, and the
// accounts' list (a datalist) completes the account inputs.
(function () {
  "use strict";

  var MAX_LINES = 500;
  var lastRow = null;

  function rows() {
    return document.querySelectorAll("#entry-lines .line");
  }

  // A copy of the last row, numbered after it, empty and without errors.
  function addLine(event) {
    var all = rows();
    if (!all.length) return;
    event.preventDefault();
    if (all.length >= MAX_LINES) return;
    var last = all[all.length - 1];
    var number = all.length + 1;
    var row = last.cloneNode(true);
    row.setAttribute("data-line", String(number));
    row.classList.remove("field-error");
    row.querySelector(".line-title").textContent = "Ligne " + number;
    row.querySelectorAll(".errorlist").forEach(function (list) { list.remove(); });
    row.querySelectorAll(".field-error").forEach(function (div) {
      div.classList.remove("field-error");
    });
    var rename = function (text) { return text.replace(/line\d+_/, "line" + number + "_"); };
    row.querySelectorAll("input").forEach(function (input) {
      input.name = rename(input.name);
      input.id = rename(input.id);
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    row.querySelectorAll("label").forEach(function (label) {
      label.htmlFor = rename(label.htmlFor);
    });
    last.after(row);
    lastRow = row;
    row.querySelector("input").focus();
    if (number >= MAX_LINES) document.getElementById("add-line").disabled = true;
  }

  // A search result goes to the row last touched (else the first without an account).
  function useHit(button) {
    var row = lastRow;
    if (!row) {
      row = Array.prototype.find.call(rows(), function (r) {
        return !r.querySelector(".account-input").value;
      }) || rows()[0];
    }
    if (!row) return;
    var account = button.getAttribute("data-account");
    var aux = button.getAttribute("data-aux");
    row.querySelector(".account-input").value = account;
    var auxInput = row.querySelector(".aux-input");
    if (aux) auxInput.value = aux;
    else if (!/^(401|411)/.test(account)) auxInput.value = "";
    lastRow = row;
    var next = aux || !/^(401|411)/.test(account) ? row.querySelector("[name$=_debit]") : auxInput;
    next.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var lines = document.getElementById("entry-lines");
    if (!lines) return;
    lines.addEventListener("focusin", function (event) {
      var row = event.target.closest(".line");
      if (row) lastRow = row;
    });
    var add = document.getElementById("add-line");
    if (add) add.addEventListener("click", addLine);
    document.addEventListener("click", function (event) {
      var hit = event.target.closest(".account-hit");
      if (hit) useHit(hit);
    });
    // After a refused submit: the first error in view, the cursor in its field.
    var error = document.querySelector("#entry-form .field-error");
    var target = error ? error.querySelector("input, select") : null;
    if (target) {
      error.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    }
  });
})();
