// Small behaviours for the dashboard. Everything else is htmx.
(function () {
  // "Type the name to confirm": the submit button stays disabled until the typed text matches.
  function wireConfirm(root) {
    root.querySelectorAll("[data-confirm-name]").forEach(function (input) {
      var button = input.form.querySelector("[data-confirm-target]");
      var check = function () { button.disabled = input.value.trim() !== input.dataset.confirmName; };
      input.addEventListener("input", check);
      check();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wireConfirm(document); });
  document.body && document.body.addEventListener("htmx:afterSettle", function (e) { wireConfirm(e.target); });

  // A failed request should never fail silently.
  document.addEventListener("htmx:responseError", function (e) {
    var stack = document.getElementById("messages");
    if (!stack) return;
    var status = e.detail.xhr.status;
    var text = status === 403 ? "Your role does not allow this." : status === 404 ? "That no longer exists." : "Something went wrong (" + status + "). Please try again.";
    stack.insertAdjacentHTML("beforeend", '<div class="alert alert-danger alert-dismissible" role="alert">' + text + '<a class="btn-close" data-bs-dismiss="alert"></a></div>');
  });
})();
