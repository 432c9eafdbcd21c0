// plbook: manual steps are checklist items a reader can tick; the ticks stay in this browser.
(function () {
  "use strict";
  var PREFIX = "plbook:checked:";

  function storageKey(box, index) {
    var step = box.closest("[data-plbook-step]");
    var id = step ? step.getAttribute("data-plbook-step") : String(index);
    return PREFIX + location.pathname + "#" + id + ":" + index;
  }

  function labelFor(box) {
    var step = box.closest(".plbook-step");
    var heading = step && step.querySelector("h3");
    var item = box.closest("li");
    var words = heading ? heading.textContent : item ? item.textContent : "";
    return "Done: " + words.replace(/\s+/g, " ").replace(/¶$/, "").trim();
  }

  function enableChecklists() {
    var boxes = document.querySelectorAll(".plbook-step--manual li input[type=checkbox]");
    Array.prototype.forEach.call(boxes, function (box, index) {
      var key = storageKey(box, index);
      box.disabled = false;
      box.removeAttribute("disabled");
      box.setAttribute("aria-label", labelFor(box));
      try {
        box.checked = localStorage.getItem(key) === "1";
      } catch (error) {
        return; // storage refused (private mode): the box still ticks, it just is not kept
      }
      box.addEventListener("change", function () {
        try {
          if (box.checked) localStorage.setItem(key, "1");
          else localStorage.removeItem(key);
        } catch (error) {
          /* storage refused: nothing to keep */
        }
      });
    });
  }

  // Material's instant navigation swaps pages without a load event; it announces each on document$.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(enableChecklists);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enableChecklists);
  } else {
    enableChecklists();
  }
})();
