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

  // Toasts (templates/partials/messages.html): confirmations leave after a while, unless the pointer or the
  // keyboard is on them; errors and warnings stay until closed.
  var TOAST_SECONDS = 6;

  function dismiss(toast) {
    toast.classList.add("toast-leaving");
    setTimeout(function () { toast.remove(); }, 300);
  }

  function wireToasts() {
    document.querySelectorAll("#messages [data-autohide]:not([data-wired])").forEach(function (toast) {
      var timer = null;
      var start = function () { timer = setTimeout(function () { dismiss(toast); }, TOAST_SECONDS * 1000); };
      var pause = function () { clearTimeout(timer); };
      toast.dataset.wired = "";
      toast.addEventListener("mouseenter", pause);
      toast.addEventListener("focusin", pause);
      toast.addEventListener("mouseleave", start);
      toast.addEventListener("focusout", start);
      start();
    });
  }
  document.addEventListener("DOMContentLoaded", wireToasts);
  document.addEventListener("htmx:load", wireToasts);  // new content, out-of-band toasts included

  function showError(text) {
    var stack = document.getElementById("messages");
    if (!stack) return;
    var toast = document.createElement("div");
    toast.className = "alert alert-danger alert-dismissible";
    toast.setAttribute("role", "alert");
    toast.innerHTML = '<div class="d-flex align-items-start gap-2"><i class="ti ti-alert-circle mt-1"></i><div></div></div>' +
      '<button type="button" class="btn-close" data-bs-dismiss="alert" aria-label="Close"></button>';
    toast.querySelector("div div").textContent = text;
    stack.appendChild(toast);
  }

  // Pickers (templates/partials/picker.html): a click on a match puts its object in the form's hidden field (a
  // change event, so a filter form refreshes); typing something else or emptying the box lets go of it.
  document.addEventListener("click", function (e) {
    var match = e.target.closest("[data-pick-id]");
    var picker = match && match.closest("[data-picker]");
    if (!picker) return;
    var value = picker.querySelector("[data-picker-value]");
    var search = picker.querySelector("[data-picker-search]");
    value.value = match.dataset.pickId;
    search.value = match.dataset.pickLabel;
    search.classList.remove("is-invalid");
    var note = picker.querySelector("[data-picker-unpicked]");
    if (note) note.remove();
    picker.querySelector(".picker-matches").innerHTML = "";
    search.setAttribute("aria-expanded", "false");
    value.dispatchEvent(new Event("change", { bubbles: true }));
    search.focus();
  });
  document.addEventListener("input", function (e) {
    if (!e.target.matches("[data-picker-search]")) return;
    var picker = e.target.closest("[data-picker]");
    var note = picker.querySelector("[data-picker-unpicked]");
    if (note) {
      note.remove();
      e.target.classList.remove("is-invalid");
    }
    var value = picker.querySelector("[data-picker-value]");
    if (value.value) {
      value.value = "";
      value.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  // The search box's own change (it belongs to no form) must not reach a form that filters on change.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-picker-search]")) e.stopPropagation();
  }, true);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !e.target.closest || !e.target.closest("[data-picker]")) return;
    e.target.closest("[data-picker]").querySelector(".picker-matches").innerHTML = "";
  });
  // While something is picked the box shows it, not a search: a search still waiting from typing (or the box's
  // first focus) is dropped, so it cannot list "Nobody matches" the picked label.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var search = e.detail.elt;
    if (!search.matches || !search.matches("[data-picker-search]")) return;
    if (search.closest("[data-picker]").querySelector("[data-picker-value]").value) e.preventDefault();
  });
  // A form is not sent while a picker's box holds words but nothing picked from its list: the words would be lost
  // (an optional field would be sent empty). Caught before HTMX or the browser sends it.
  document.addEventListener("submit", function (e) {
    var unpicked = Array.prototype.filter.call(e.target.querySelectorAll("[data-picker]"), function (picker) {
      return picker.querySelector("[data-picker-search]").value.trim() && !picker.querySelector("[data-picker-value]").value;
    });
    if (!unpicked.length) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    unpicked.forEach(function (picker) {
      var search = picker.querySelector("[data-picker-search]");
      search.classList.add("is-invalid");
      var note = picker.querySelector("[data-picker-unpicked]");
      if (!note) {
        note = document.createElement("div");
        note.className = "invalid-feedback d-block";
        note.setAttribute("data-picker-unpicked", "");
        note.textContent = "Choose one from the list, or clear the box.";
        picker.appendChild(note);
      }
    });
    unpicked[0].querySelector("[data-picker-search]").focus();
  }, true);
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target.classList.contains("picker-matches")) return;
    var search = e.detail.target.closest("[data-picker]").querySelector("[data-picker-search]");
    search.setAttribute("aria-expanded", e.detail.target.querySelector("[data-pick-id]") ? "true" : "false");
  });

  // A failed request should never fail silently.
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr.status;
    showError(status === 403 ? "Your role does not allow this." : status === 404 ? "That no longer exists." : "Something went wrong (" + status + "). Please try again.");
  });

  // A successful form answers HX-Location (aerodrome.views.done) and htmx loads that page into <body>. Back on the
  // same page, the person stays where they were (the toast says what happened). Another page opens like a
  // browser follows a redirect: at its top, with nothing focused. Otherwise htmx keeps the old scroll position and
  // focuses the element with the id of the one focused before: deleting a Deployment (Enter in its "type the
  // name" box) would land in the workspace's own "type the name to delete" box, at the bottom of its page.
  var changingPage = false;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target !== document.body || !e.detail.shouldSwap) return;
    var next = new URL(e.detail.xhr.responseURL || e.detail.pathInfo.requestPath, location.href);
    changingPage = next.pathname !== location.pathname;
    if (changingPage && document.activeElement) document.activeElement.blur();
  });
  function toTop(e) {
    if (e.detail.target !== document.body || !changingPage) return;
    window.scrollTo({ top: 0, behavior: "instant" });  // not smoothly: Tabler makes scrolling smooth
  }
  // Again once settled: settling (attributes, focus) may nudge the scroll after the swap.
  document.addEventListener("htmx:afterSwap", toTop);
  document.addEventListener("htmx:afterSettle", function (e) {
    toTop(e);
    if (e.detail.target === document.body) changingPage = false;
  });
})();

// "Generate" next to a secret box: a random secret (32 bytes, hex), shown so it can be copied before saving.
(function () {
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-generate-secret]");
    if (!button) return;
    var input = document.getElementById(button.dataset.generateSecret);
    var bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    input.value = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    input.type = "text";
    input.select();
  });
})();
