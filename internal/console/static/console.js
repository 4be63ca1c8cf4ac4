// sealbox console: progressive enhancement only; every page works without it.
// Forms marked data-confirm ask before they are sent (key deletion, say).
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var msg = form.getAttribute && form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});
