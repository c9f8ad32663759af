// The payment run page (templates/payments/run_detail.html), while the run writes its lines.
(function () {
  var box = document.getElementById("run-status");
  var bar = document.getElementById("run-progress");
  var towns = document.getElementById("run-towns");
  var label = document.querySelector("[data-testid=run-state]");
  var lines = document.getElementById("run-new-lines");
  var url = box.dataset.progressUrl;
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        label.textContent = data.state_display;
        bar.max = data.towns_total || 1;
        bar.value = data.towns_done;
        towns.textContent = data.towns_done + " / " + data.towns_total;
        lines.textContent = data.new_lines;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 2000);
})();
