// Portico's only script: copy buttons for credentials. Pages work without it; the buttons
// stay hidden when scripts do not run.
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (error) {
        reject(error);
      } finally {
        document.body.removeChild(area);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(target.textContent.trim()).then(
          function () { flash(button, "Copied"); },
          function () { flash(button, "Select and copy"); }
        );
      });
    });
  });
  // A secret is shown once: when the person leaves the page, blank it, so that a page kept
  // in the back-forward cache cannot show it again.
  window.addEventListener("pagehide", function () {
    var secrets = document.querySelectorAll("[data-shown-once]");
    Array.prototype.forEach.call(secrets, function (element) {
      element.textContent = "(shown only once)";
    });
  });
  function flash(button, text) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 1600);
  }
})();
