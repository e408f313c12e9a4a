/* Share a report's PDF with the phone's share sheet (Web Share API, e.g. to Zalo); where the browser cannot share
   files, download it instead. Buttons: <button data-share-url="..." data-share-name="x.pdf" data-share-title="...">. */
(function () {
  if (window.fieldworkShare) return;
  window.fieldworkShare = true;

  function download(url) {
    window.location.href = url + (url.indexOf("?") < 0 ? "?" : "&") + "tai=1";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share-url]");
    if (!button) return;
    event.preventDefault();
    var url = button.getAttribute("data-share-url");
    var name = button.getAttribute("data-share-name") || "bao-cao.pdf";
    if (!navigator.canShare || !window.File) { download(url); return; }
    button.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.blob();
      })
      .then(function (blob) {
        var file = new File([blob], name, { type: "application/pdf" });
        if (!navigator.canShare({ files: [file] })) { download(url); return; }
        return navigator.share({ files: [file], title: button.getAttribute("data-share-title") || name });
      })
      .catch(function (error) {
        if (!error || error.name !== "AbortError") download(url);  // AbortError: the user closed the share sheet
      })
      .finally(function () { button.removeAttribute("aria-busy"); });
  });
})();
