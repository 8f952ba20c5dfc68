// Forms that ask before they post: <form data-confirm="Question ?">. A static file, since
// the Content-Security-Policy refuses inline handlers (onsubmit="...").
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
