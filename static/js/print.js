// Printable sheets (templates/cases/applications/print_base.html): the Print button.
(function () {
  var buttons = document.querySelectorAll("[data-action=print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
