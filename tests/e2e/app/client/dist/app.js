// clockwork-client: a tiny page for the clockwork contract double.
(function () {
  "use strict";
  function text(id, value) { document.getElementById(id).textContent = value; }
  function list(id, items) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.name + (item.project_id ? " (project " + item.project_id + ")" : "");
      ul.appendChild(li);
    });
  }
  fetch("/api/health").then(function (r) { return r.json(); }).then(function (h) {
    text("version", h.version);
    text("database", h.database);
  }).catch(function () { text("database", "unreachable"); });
  fetch("/api/projects").then(function (r) { return r.json(); }).then(function (ps) { list("projects", ps); });
  fetch("/api/categories").then(function (r) { return r.json(); }).then(function (cs) { list("categories", cs); });
})();
