// The live progress of work carried out town by town in the background (a payment run,
// templates/payments/run_detail.html; a monthly check, templates/audit/check_detail.html):
// polls the box's data-progress-url every 2 s and fills the page's marked elements, then
// reloads the page once the work has finished.
//   [data-progress-url]         the box
//   [data-progress-state]       the state's name (the answer's state_display)
//   [data-progress-towns]       a <progress> of towns_done out of towns_total
//   [data-progress-towns-text]  "towns_done / towns_total"
//   [data-progress-field=KEY]   the answer's KEY (new_lines, households_checked, new_findings)
(function () {
  var box = document.querySelector("[data-progress-url]");
  var url = box.dataset.progressUrl;
  function each(selector, fill) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fill);
  }
  function show(data) {
    each("[data-progress-state]", function (el) { el.textContent = data.state_display; });
    each("[data-progress-towns]", function (bar) {
      bar.max = data.towns_total || 1;
      bar.value = data.towns_done;
    });
    each("[data-progress-towns-text]", function (el) {
      el.textContent = data.towns_done + " / " + data.towns_total;
    });
    each("[data-progress-field]", function (el) {
      el.textContent = data[el.dataset.progressField];
    });
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        show(data);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 2000);
})();
