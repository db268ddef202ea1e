/* The IIJ analysis book: accessibility touches to the book theme.
 * The theme's search and colour-mode buttons carry an aria-label that differs from their
 * visible content ("Search" beside "Search Ctrl+K"; icon titles "Light", "Dark"), so
 * screen-reader users who speak what they see could not name them. Mark the icons as
 * decorative, without titles (the icon font swaps them for titled SVGs later, hence the
 * observer), and give each
 * button a label that contains its visible text. */
(function () {
  var BUTTONS = ".search-button__button, .theme-switch-button";
  function fix(button) {
    button.querySelectorAll("i, svg").forEach(function (icon) {
      if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("title");
      icon.removeAttribute("aria-labelledby");
    });
    button.querySelectorAll("svg title").forEach(function (title) { title.remove(); });
    var visible = (button.innerText || "").replace(/\s+/g, " ").trim();
    var label = button.getAttribute("aria-label") || "";
    if (visible && label.indexOf(visible) === -1) {
      button.setAttribute("aria-label", visible.indexOf(label) === -1 ? label + ": " + visible : visible);
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(BUTTONS).forEach(function (button) {
      fix(button);
      new MutationObserver(function () { fix(button); }).observe(button, { childList: true, subtree: true });
    });
  });
})();
