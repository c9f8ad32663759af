// The import status page (templates/cases/import_status.html), while the import runs.
(function () {
  var box = document.getElementById("import-status");
  var bar = document.getElementById("import-progress");
  var percent = document.getElementById("import-percent");
  var rows = document.getElementById("import-rows");
  var label = document.querySelector("[data-testid=import-status]");
  var url = box.dataset.progressUrl;
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        label.textContent = data.status_display;
        if (data.total_rows) {
          bar.max = data.total_rows;
          bar.value = data.processed_rows;
          percent.textContent = data.percent + "%";
          rows.textContent = data.processed_rows + " / " + data.total_rows;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
