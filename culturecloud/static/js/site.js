/* CultureCloud site script: small progressive enhancements, no inline code (CSP). */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function announce(text) {
    var region = document.getElementById("messages");
    if (!region || !text) {
      return;
    }
    var notice = document.createElement("p");
    notice.className = "notice notice-error";
    notice.textContent = text;
    region.replaceChildren(notice);
  }

  // Unsafe htmx requests carry the CSRF token in the header Django expects.
  document.addEventListener("htmx:configRequest", function (event) {
    var verb = (event.detail.verb || "get").toLowerCase();
    if (verb !== "get" && verb !== "head") {
      var token = csrfToken();
      if (token) {
        event.detail.headers["X-CSRFToken"] = token;
      }
    }
  });

  // Responses htmx does not swap (server errors, permission errors) and network
  // failures are announced in the status region instead of failing silently.
  document.addEventListener("htmx:responseError", function () {
    announce(document.body.getAttribute("data-error-message"));
  });
  document.addEventListener("htmx:sendError", function () {
    announce(document.body.getAttribute("data-offline-message"));
  });
})();
