// The new-household page (templates/cases/household_create.html).
(function () {
  // Adds one empty member row from the formset's empty form and counts it in TOTAL_FORMS.
  var button = document.getElementById("add-member");
  var rows = document.getElementById("member-rows");
  var template = document.getElementById("member-template");
  var total = document.getElementById("id_members-TOTAL_FORMS");
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var inputs = rows.lastElementChild.querySelectorAll("input, select");
    if (inputs.length) { inputs[0].focus(); }
  });
})();
