// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var msg = form.getAttribute && form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
  var buttons = form.querySelectorAll ? form.querySelectorAll("button[type=submit]") : [];
  window.setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
});
