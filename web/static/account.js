// Copy button of the account page's new token. Without JavaScript the button stays hidden and
// the token is in a read-only field that can be selected and copied by hand.
(function () {
  "use strict";

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!field) {
      return;
    }
    function report(copied) {
      button.textContent = copied ? "Copied" : "Copy";
      if (status) {
        status.textContent = copied
          ? "Copied to the clipboard."
          : "Could not copy: the token is selected, press Ctrl+C (or ⌘C).";
      }
    }
    field.addEventListener("focus", function () {
      field.select();
    });
    button.addEventListener("click", function () {
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(
          function () { report(true); },
          function () { report(copyBySelection(field)); }
        );
      } else {
        report(copyBySelection(field));
      }
    });
    button.hidden = false;
  });
})();
