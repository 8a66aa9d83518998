// Offline search over the catalog. The index comes from search-index.js (a script that sets
// window.RULESCOPE_SEARCH) because pages opened from file:// may not fetch() a JSON file.
// Results are built with textContent only: catalog text is never parsed as HTML.
(function () {
  "use strict";
  var data = window.RULESCOPE_SEARCH;
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  var form = document.getElementById("search-form");
  if (!data || !input || !list || !status) return;
  var MAX = 100;
  // [type, title, detail, href, text?]: entries are searched by title and detail.
  var docs = data.docs.map(function (d) {
    return { d: d, title: d[1].toLowerCase(), text: d[4] || (d[1] + " " + d[2]).toLowerCase() };
  });

  function search(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    var hits = [];
    for (var i = 0; i < docs.length; i++) {
      var doc = docs[i], score = 0, all = true;
      for (var w = 0; w < words.length; w++) {
        var word = words[w];
        if (doc.text.indexOf(word) < 0 && doc.title.indexOf(word) < 0) { all = false; break; }
        if (doc.title === word) score += 8;
        else if (doc.title.indexOf(word) === 0) score += 4;
        else if (doc.title.indexOf(word) > 0) score += 2;
        else score += 1;
      }
      if (all) hits.push({ doc: doc, score: score + (doc.d[0] === "Rule" ? 1 : 0) });
    }
    hits.sort(function (a, b) { return b.score - a.score || a.doc.title.length - b.doc.title.length; });
    return hits;
  }

  function show(query) {
    var hits = search(query);
    list.textContent = "";
    hits.slice(0, MAX).forEach(function (hit) {
      var d = hit.doc.d;
      var li = document.createElement("li");
      var type = document.createElement("span");
      type.className = "type";
      type.textContent = d[0];
      var a = document.createElement("a");
      a.href = d[3];
      a.textContent = d[1];
      var detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = d[2];
      li.appendChild(type);
      li.appendChild(a);
      li.appendChild(detail);
      list.appendChild(li);
    });
    if (!query.trim()) status.textContent = "Type to search.";
    else if (!hits.length) status.textContent = "No results for \u201c" + query + "\u201d.";
    else status.textContent = hits.length + (hits.length === 1 ? " result" : " results") + (hits.length > MAX ? ", showing the first " + MAX : "") + ".";
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      show(input.value);
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      try { history.replaceState(null, "", url); } catch (e) { /* file:// may refuse */ }
    }, 120);
  });
  if (form) form.addEventListener("submit", function (e) { e.preventDefault(); show(input.value); });
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  show(initial);
  input.focus();
})();
