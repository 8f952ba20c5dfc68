// Accessibility (docs/accessibility.md): a table that scrolls sideways (.table-wrap, on a
// phone) can be reached and scrolled with the keyboard (tabindex="0") and is named for
// screen readers after its caption, the heading before it or the first line of its card
// (each name once on the page); a table that fits adds no stop to the Tab order. On every
// page, on every piece of page that htmx swaps in (the "htmx:load" event) and when the
// window changes size.
(function () {
  var used = {};
  function firstLine(node) {
    return (node.textContent || "").trim().split("\n")[0].trim().slice(0, 80);
  }
  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return firstLine(caption);
    for (var node = wrap.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return firstLine(node);
    }
    var first = wrap.parentElement && wrap.parentElement.firstElementChild;
    return first && first !== wrap && firstLine(first) ? firstLine(first) : "Tableau";
  }
  function unique(name) {
    used[name] = (used[name] || 0) + 1;
    return used[name] > 1 ? name + " (" + used[name] + ")" : name;
  }
  function mark(root) {
    var wraps = root.querySelectorAll ? root.querySelectorAll(".table-wrap") : [];
    Array.prototype.forEach.call(wraps, function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", unique(nameOf(wrap)));
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
      }
    });
  }
  var pending;
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:load", function (event) { mark(event.target); });
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { mark(document); }, 200);
  });
})();
