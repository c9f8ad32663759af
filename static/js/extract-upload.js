// The extract upload page (templates/audit/extract_upload.html): the file is sent with
// XMLHttpRequest so that its upload progress shows in the bar; once the server has checked and
// imported it, the page it redirects to (the extract's report) is opened. Without JavaScript
// the form posts as usual.
(function () {
  var form = document.getElementById("extract-upload-form");
  var box = document.getElementById("extract-upload-progress");
  var bar = document.getElementById("extract-upload-bar");
  var label = document.getElementById("extract-upload-percent");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var percent = Math.round(100 * e.loaded / e.total);
      bar.value = percent;
      label.textContent = percent + "%";
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the server imports
      label.textContent = label.dataset.checking;
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () { form.submit(); });
    box.hidden = false;
    button.disabled = true;
    xhr.send(new FormData(form));
  });
})();
