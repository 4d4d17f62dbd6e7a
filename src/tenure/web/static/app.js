// Tenure's only script besides htmx: the CSRF token rides along on every htmx request, and
// the timeline form shows the sentiment choice only for a sentiment entry.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrf;
    if (token) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  function toggleSentiment(root) {
    root.querySelectorAll("select[data-sentiment-toggle]").forEach(function (kind) {
      var form = kind.form;
      var choice = form && form.querySelector(".sentiment-choice");
      if (!choice) {
        return;
      }
      var update = function () {
        var on = kind.value === "sentiment";
        choice.hidden = !on;
        choice.required = on;
      };
      kind.addEventListener("change", update);
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    toggleSentiment(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    toggleSentiment(event.detail.target);
  });
})();
