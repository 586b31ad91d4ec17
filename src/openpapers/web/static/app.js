// Progressive extras only: every page works without this file (CSP allows only same-origin scripts).
// "/" focuses the search box; "Copy BibTeX" buttons appear when the clipboard API is there; account buttons
// (vote, save, not interested, follow) post with fetch and update in place.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var box = document.getElementById("q") || document.getElementById("site-q");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });
  // Vote / save / not-interested / follow buttons are plain forms; with this script they update in place.
  // The CSRF token travels in the X-CSRF-Token header; Accept asks for JSON instead of the redirect.
  var LABELS = {
    save: ["Save", "Saved"], dismiss: ["Not interested", "Undo not interested"], follow: ["Follow", "Following"]
  };
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form && form.getAttribute && form.getAttribute("data-act");
    if (!kind || !window.fetch || !window.FormData) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    var action = form.querySelector("input[name=action]");
    var token = form.querySelector("input[name=csrf_token]");
    // Not button.disabled: a disabled button loses focus (to <body>), and a keyboard reader loses their place.
    if (form.getAttribute("aria-busy") === "true") { return; }
    form.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {  // not form.action: the input named "action" shadows it
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.value : "" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      var on = action.value === "add";
      action.value = on ? "remove" : "add";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("on", on);
      if (kind === "vote") {
        var count = button.querySelector(".n");
        if (count) { count.textContent = data.upvotes === null ? "0" : String(data.upvotes); }
        button.title = on ? "Remove your upvote" : "Upvote";
      } else if (button.hasAttribute("data-on")) {
        button.textContent = button.getAttribute(on ? "data-on" : "data-off");
      } else if (LABELS[kind]) {
        button.textContent = LABELS[kind][on ? 1 : 0];
      }
      var menu = form.closest("details.follow-menu");
      var title = menu && menu.querySelector("summary");
      if (title) { title.textContent = on ? "Following this search \u2713" : "Follow this search"; }
      button.focus();
    }).catch(function () {
      form.submit();  // fall back to the plain form post (it shows any error as a page)
    }).then(function () { form.removeAttribute("aria-busy"); });
  });

  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy BibTeX"; }, 1500);
      });
    });
  });
})();
