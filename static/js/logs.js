// The Logs tab: keep the view pinned to the newest line unless the person scrolled up, poll only while Live is on
// and the browser tab is visible, keep the filters in the address, and cap the lines kept in the page.
(function () {
  if (window.aerodromeLogsWired) return;
  window.aerodromeLogsWired = true;
  var MAX_LINES = 5000;  // lines kept in the page while tailing; the oldest go first
  var pinned = true;

  window.aerodromeLogsLive = function () {
    var live = document.getElementById("log-live");
    return !!live && live.checked && !live.disabled && document.visibilityState === "visible";
  };

  function scroller() { return document.getElementById("log-scroll"); }
  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 8; }
  function toBottom() {
    var el = scroller();
    if (el) el.scrollTop = el.scrollHeight;
    var jump = document.getElementById("log-jump");
    if (jump) jump.classList.remove("show");
  }

  document.addEventListener("scroll", function (e) {
    if (e.target.id === "log-scroll") {
      pinned = atBottom(e.target);
      if (pinned) document.getElementById("log-jump").classList.remove("show");
    }
  }, true);
  document.addEventListener("click", function (e) {
    if (e.target.closest("#log-jump")) { pinned = true; toBottom(); }
  });

  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.target.id === "log-panel") { pinned = true; toBottom(); }
  });
  // A poll answers with the new lines (swapped out of band into #log-lines first) and the next poller.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "log-poller") return;
    var lines = document.getElementById("log-lines");
    if (!lines) return;
    var none = document.getElementById("log-no-lines");
    if (none && lines.children.length) none.remove();
    var excess = lines.children.length - MAX_LINES;
    for (var i = 0; i < excess; i++) lines.firstElementChild.remove();
    if (pinned) toBottom(); else document.getElementById("log-jump").classList.add("show");
  });

  // The filters live in the address too, so a reload or a shared link shows the same lines.
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var form = document.getElementById("log-filters");
    if (!form || e.detail.elt !== form) return;
    var params = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", form.getAttribute("action") + "?" + params.toString());
  });

  if (scroller()) toBottom();
})();
