// Team Settings page (teamhttp.NewSettingsPage): progressive enhancement
// only. Without it every form still works: a confirmation step is a page.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Forms with data-confirm ask in a modal <dialog> first; the confirmed
  // post carries confirm=yes, so the server skips its confirmation page.
  var dialog = document.getElementById("confirm-dialog");
  if (dialog && typeof dialog.showModal === "function") {
    var message = document.getElementById("confirm-message");
    var ok = document.getElementById("confirm-ok");
    var pending = null, opener = null;
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.dataset.confirmed === "yes") return;
        if (!form.reportValidity()) return;
        ev.preventDefault();
        pending = form;
        opener = ev.submitter || document.activeElement;
        message.textContent = form.dataset.confirm;
        ok.textContent = form.dataset.confirmButton || "Confirm";
        dialog.showModal();
        document.getElementById("confirm-cancel").focus();
      });
    });
    ok.addEventListener("click", function () {
      if (!pending) return;
      var form = pending;
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "confirm"; input.value = "yes";
      form.appendChild(input);
      form.dataset.confirmed = "yes";
      dialog.close();
      form.submit();
    });
    document.getElementById("confirm-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      // The event comes a task after close(): if the dialog was opened
      // again meanwhile, it belongs to a request that is over.
      if (dialog.open) return;
      if (pending && pending.dataset.confirmed !== "yes" && opener && opener.focus) opener.focus();
      pending = null;
    });
  }
  // The invitation link: show it absolute, select it on focus.
  document.querySelectorAll("input[data-link-of]").forEach(function (input) {
    var a = document.getElementById(input.dataset.linkOf);
    if (a) input.value = a.href;
    input.addEventListener("focus", function () { input.select(); });
  });
  // The join page: the token travels in the link's fragment, never sent to
  // a server; put it in the form.
  var token = document.getElementById("token");
  if (token && location.hash.indexOf("#token=") === 0) {
    token.value = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, "", location.pathname);
    document.getElementById("view-invitation").focus();
  }
  // Close an open actions menu with Escape, back to its button.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      d.open = false; d.querySelector("summary").focus();
    });
  });
});
