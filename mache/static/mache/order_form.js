// The order form (purchasing/templates/purchasing/order_form.html). A static file: the
// Content-Security-Policy refuses inline scripts. Without JavaScript the page works the
// same through GET parameters; this only makes it quicker.
(function () {
  "use strict";

  // Lower case without accents, as purchasing.forms.folded does on the server.
  function folded(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  // What the search looks in, as purchasing.forms.search_text: the name, the reference
  // (first in the small print, purchasing/views/order_rows.py) and the category.
  function searchText(row, category) {
    var name = row.querySelector("b");
    var small = row.querySelector("small");
    var reference = small ? small.textContent.split(" \u00b7 ")[0] : "";
    return folded((name ? name.textContent : "") + " " + reference + " " + category);
  }

  // Filter as one types: hide the products that do not match (they stay in the form,
  // so what was typed for them is kept and saved), and a category left empty.
  function filterProducts() {
    var form = document.getElementById("product-filter");
    if (!form) return;
    var search = form.querySelector("[name=q]");
    var category = form.querySelector("[name=categorie]");
    // Local and organic only (docs/local-producers.md): the list's and rows' classes.
    var local = form.querySelector("[name=local]");
    var bio = form.querySelector("[name=bio]");
    var words = folded(search ? search.value : "").split(/\s+/).filter(Boolean);
    var wanted = category ? category.value : "";
    var onlyLocal = local ? local.checked : false;
    var onlyBio = bio ? bio.checked : false;
    var shown = 0;
    var total = 0;
    document.querySelectorAll("#order-form section.products").forEach(function (section) {
      var name = section.getAttribute("data-category") || "";
      var inSection = 0;
      section.querySelectorAll("li").forEach(function (row) {
        total += 1;
        var text = searchText(row, name);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; }) &&
          (!wanted || name === wanted) &&
          (!onlyLocal || section.classList.contains("local")) &&
          (!onlyBio || row.classList.contains("bio"));
        // A product whose field is in error stays in sight.
        if (row.querySelector(".field-error")) match = true;
        row.hidden = !match;
        if (match) inSection += 1;
      });
      section.hidden = inSection === 0;
      shown += inSection;
    });
    var none = document.getElementById("no-match");
    if (none) none.hidden = shown > 0 || total === 0;
  }

  // The rows' bare inputs (a few bytes each for 300 products, issue 18) get here what
  // a phone and a screen reader need: the numeric keyboard, a placeholder, a label
  // naming the product.
  function labelInputs() {
    document.querySelectorAll("#order-form section.products li").forEach(function (row) {
      var name = row.querySelector("b");
      row.querySelectorAll("input:not([type])").forEach(function (input) {
        var quantity = input.name.charAt(0) === "q";
        input.setAttribute("inputmode", "numeric");
        input.setAttribute("autocomplete", "off");
        input.setAttribute("placeholder", quantity ? "Qté" : "Tol.");
        input.setAttribute("aria-label", (quantity ? "Quantité" : "Tolérance") +
          (name ? " : " + name.textContent : ""));
      });
    });
  }

  // After a refused submit: bring the first error into view (above the sticky bar:
  // app.css gives the fields a scroll margin) and put the cursor in its field.
  function showFirstError() {
    var field = document.querySelector("#order-form .field-error");
    var target = field ? field.querySelector("input, select, textarea") : null;
    var alert = document.querySelector("#order-form [role=alert]");
    if (target) {
      field.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    } else if (alert) {
      alert.scrollIntoView({ block: "center" });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelInputs();
    var form = document.getElementById("product-filter");
    if (form) {
      form.addEventListener("input", filterProducts);
      form.addEventListener("change", filterProducts);
    }
    showFirstError();
  });
})();
