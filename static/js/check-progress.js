// The monthly check's page (templates/audit/check_detail.html), while the towns are checked.
(function () {
  var box = document.getElementById("check-status");
  var bar = document.getElementById("check-progress");
  var towns = document.getElementById("check-towns");
  var label = document.querySelector("[data-testid=check-state]");
  var households = document.getElementById("check-households");
  var found = document.getElementById("check-new-findings");
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
        households.textContent = data.households_checked;
        found.textContent = data.new_findings;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 2000);
})();
