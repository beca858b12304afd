/* snomap pages: concept autocomplete (an ARIA 1.2 combobox with a listbox popup).
 *
 * Every input with data-autocomplete gets suggestions from GET /api/v1/search as the user types
 * (debounced; a newer keystroke aborts the request in flight). Keyboard: ArrowDown/ArrowUp move through
 * the options, Enter picks one, Escape closes the list; a click or tap picks one too.
 *   data-autocomplete="navigate"  picking opens the concept's page
 *   data-autocomplete="fill"      picking writes the concept id into the input named by data-fill
 * Without JavaScript the forms still work: the server searches what was typed.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 90;
  var LIMIT = 10;

  function setup(input) {
    var listbox = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(input.id + "-status");
    var mode = input.getAttribute("data-autocomplete");
    var fill = input.getAttribute("data-fill") ? document.getElementById(input.getAttribute("data-fill")) : null;
    var searchUrl = input.getAttribute("data-search-url") || "/api/v1/search";
    var conceptUrl = input.getAttribute("data-concept-url") || "/concepts/";
    var lang = input.getAttribute("data-lang");
    var timer = null;
    var controller = null;
    var items = [];
    var active = -1;
    var lastQuery = null;

    function announce(text) {
      if (status) status.textContent = text;
    }

    function close() {
      listbox.hidden = true;
      listbox.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      items = [];
      active = -1;
    }

    function highlight(i) {
      var options = listbox.querySelectorAll("[role=option]");
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = i;
      if (i >= 0 && options[i]) {
        options[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(i) {
      var item = items[i];
      if (!item) return;
      if (mode === "navigate") {
        var href = conceptUrl + encodeURIComponent(item.conceptId);
        if (lang) href += "?lang=" + encodeURIComponent(lang);
        window.location.assign(href);
        return;
      }
      input.value = item.pt + " (" + item.conceptId + ")";
      lastQuery = input.value;
      if (fill) fill.value = item.conceptId;
      close();
      announce("Chosen: " + item.pt);
    }

    function render(found) {
      items = found;
      listbox.textContent = "";
      if (!found.length) {
        close();
        announce("No suggestions");
        return;
      }
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = input.id + "-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var pt = document.createElement("span");
        pt.className = "option-pt";
        pt.textContent = item.pt || item.term;
        li.appendChild(pt);
        if (item.term && item.term !== item.pt) {
          var term = document.createElement("span");
          term.className = "option-term";
          term.textContent = "“" + item.term + "”";
          li.appendChild(term);
        }
        var id = document.createElement("span");
        id.className = "option-id";
        id.textContent = item.conceptId;
        li.appendChild(id);
        li.addEventListener("mousedown", function (e) {
          e.preventDefault(); // keep focus in the input
        });
        li.addEventListener("click", function () {
          pick(i);
        });
        listbox.appendChild(li);
      });
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      announce(found.length + (found.length === 1 ? " suggestion" : " suggestions") + "; use the arrow keys to choose");
    }

    function fetchSuggestions(q) {
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = searchUrl + "?limit=" + LIMIT + "&q=" + encodeURIComponent(q) + (lang ? "&lang=" + encodeURIComponent(lang) : "");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller ? controller.signal : undefined })
        .then(function (r) {
          return r.ok ? r.json() : { items: [] };
        })
        .then(function (body) {
          if (input.value.trim() === q) render(body.items || []);
        })
        .catch(function () {
          /* aborted by a newer keystroke, or offline: no suggestions */
        });
    }

    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (fill && input.value !== lastQuery) fill.value = "";
      clearTimeout(timer);
      if (q.length < 2) {
        if (controller) controller.abort();
        close();
        return;
      }
      timer = setTimeout(function () {
        fetchSuggestions(q);
      }, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (e) {
      var open = !listbox.hidden && items.length > 0;
      if (e.key === "ArrowDown") {
        if (!open) return;
        e.preventDefault();
        highlight(active + 1 < items.length ? active + 1 : 0);
      } else if (e.key === "ArrowUp") {
        if (!open) return;
        e.preventDefault();
        highlight(active > 0 ? active - 1 : items.length - 1);
      } else if (e.key === "Enter") {
        if (open && active >= 0) {
          e.preventDefault();
          pick(active);
        }
      } else if (e.key === "Escape") {
        if (open) {
          e.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  function focusErrors() {
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-autocomplete]"), setup);
    focusErrors();
  });
})();
