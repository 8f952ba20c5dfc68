// The order form (purchasing/templates/purchasing/order_form.html). A static file: the
// Content-Security-Policy refuses inline scripts. Without JavaScript the page works the
// same through GET parameters; this only makes it quicker.
(function () {
  "use strict";

  // Lower case without accents, as purchasing.forms.folded does on the server.
  function folded(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  // Filter as one types: hide the products that do not match (they stay in the form,
  // so what was typed for them is kept and saved).
  function filterProducts() {
    var form = document.getElementById("product-filter");
    if (!form) return;
    var search = form.querySelector("[name=q]");
    var category = form.querySelector("[name=categorie]");
    // Local and organic only (docs/local-producers.md): the cards' classes say which.
    var local = form.querySelector("[name=local]");
    var bio = form.querySelector("[name=bio]");
    var words = folded(search ? search.value : "").split(/\s+/).filter(Boolean);
    var wanted = category ? category.value : "";
    var onlyLocal = local ? local.checked : false;
    var onlyBio = bio ? bio.checked : false;
    var shown = 0;
    var cards = document.querySelectorAll(".product-card");
    cards.forEach(function (card) {
      var text = card.getAttribute("data-search") || "";
      var match = words.every(function (word) { return text.indexOf(word) !== -1; }) &&
        (!wanted || card.getAttribute("data-category") === wanted) &&
        (!onlyLocal || card.classList.contains("local")) &&
        (!onlyBio || card.classList.contains("bio"));
      // A product whose field is in error stays in sight.
      if (card.querySelector(".field-error")) match = true;
      card.hidden = !match;
      if (match) shown += 1;
    });
    var none = document.getElementById("no-match");
    if (none) none.hidden = shown > 0 || cards.length === 0;
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
    var form = document.getElementById("product-filter");
    if (form) {
      form.addEventListener("input", filterProducts);
      form.addEventListener("change", filterProducts);
    }
    showFirstError();
  });
})();
