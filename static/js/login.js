// The login page asks for the email first (templates/account/login.html). Once the address is typed, the server
// says whether its domain signs in through an organisation's identity provider (then the form continues there,
// without a password) or with a password. The server decides again on submit, so this is only presentation.
(function () {
  var form = document.getElementById("login-form");
  if (!form) return;
  var email = form.querySelector("input[name=login]");
  var password = form.querySelector("input[name=password]");
  var passwordBlock = document.getElementById("password-block");
  var note = document.getElementById("sso-note");
  var usePassword = document.getElementById("use-password");
  var button = document.getElementById("login-submit");
  var timer = null;
  var latest = 0;
  var choosePassword = false;

  function show(mode, passwordAllowed) {
    // mode: "email" (not known yet), "password" or "sso"
    var wantsPassword = mode === "password" || (mode === "sso" && choosePassword && passwordAllowed);
    passwordBlock.hidden = !wantsPassword;
    form.elements.step.value = wantsPassword ? "password" : "email";
    note.hidden = mode !== "sso" || wantsPassword;
    usePassword.hidden = !(mode === "sso" && passwordAllowed && !wantsPassword);
    if (!wantsPassword) password.value = "";
    button.textContent = wantsPassword ? "Sign In" : mode === "sso" ? "Continue with single sign-on" : "Continue";
  }

  function looksLikeEmail(value) {
    return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);
  }

  function check() {
    var value = email.value.trim();
    if (!looksLikeEmail(value)) {
      show(form.dataset.step === "password" ? "password" : "email");
      return;
    }
    var ticket = ++latest;
    fetch(form.dataset.realmUrl + "?" + new URLSearchParams({ email: value }), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { sso: false, password: true }; })
      .catch(function () { return { sso: false, password: true }; })
      .then(function (realm) {
        if (ticket !== latest) return; // a newer address is being checked
        show(realm.sso ? "sso" : "password", realm.password);
      });
  }

  email.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  email.addEventListener("change", check);
  usePassword.querySelector("a").addEventListener("click", function (event) {
    event.preventDefault();
    choosePassword = true;
    show("sso", true);
    password.focus();
  });
  // Once the form is sent, a check still waiting for its timer would go out with the session cookie the login is
  // replacing; the answer for that ended session deletes the cookie, and with it the new login. Nothing to check now.
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    latest++;
  });
  show(form.dataset.step === "password" ? "password" : "email");
  if (email.value) check();
  if (form.dataset.step === "password" && email.value) password.focus();
})();
