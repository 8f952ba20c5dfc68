// Accessibility (docs/accessibility.md): a table that scrolls sideways on a phone
// (.table-wrap) can be reached and scrolled with the keyboard (tabindex="0") and is named
// for screen readers after its caption or the heading before it. On every page and on
// every piece of page that htmx swaps in (the "htmx:load" event).
(function () {
  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var node = wrap.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
    }
    return "Tableau";
  }
  function mark(root) {
    var wraps = root.querySelectorAll ? root.querySelectorAll(".table-wrap") : [];
    Array.prototype.forEach.call(wraps, function (wrap) {
      if (!wrap.hasAttribute("tabindex")) wrap.setAttribute("tabindex", "0");
      if (!wrap.hasAttribute("role")) wrap.setAttribute("role", "region");
      if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
        wrap.setAttribute("aria-label", nameOf(wrap));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:load", function (event) { mark(event.target); });
})();
