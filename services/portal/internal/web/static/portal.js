// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader and keyboard users start there.
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    // A secret shown once gets a copy button (without JavaScript it is selected and copied by hand).
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          var status = button.parentNode.querySelector(".copy-status");
          if (status) {
            status.textContent = button.getAttribute("data-copied");
          }
        });
      });
    });
    // A form is sent once: its buttons are disabled while the next page loads. (The server is safe
    // against a second submit anyway: enrolments carry an idempotency key.)
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) {
            b.disabled = true;
            b.setAttribute("aria-disabled", "true");
          });
        }, 0);
      });
    });
  });
})();
