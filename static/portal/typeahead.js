// Name filters that search instead of listing every organisation or subscription.
// <input data-typeahead="URL" data-typeahead-target="ID" list="DATALIST"> asks URL?q=... once
// two letters are typed and fills the <datalist> with at most 20 names; choosing one puts its
// id in the element ID (a hidden input, or a <select> that gets the option and a change event).
// Without JavaScript the input is a plain "name contains" filter.
(() => {
  const MIN_LENGTH = 2;
  const DELAY_MS = 200;
  const found = new WeakMap(); // input -> Map(name -> id); a name given twice maps to nothing

  function target(input) {
    return document.getElementById(input.dataset.typeaheadTarget);
  }

  function choose(input, id, label) {
    const field = target(input);
    if (!field) return;
    if (field.tagName === "SELECT") {
      if (id === "") return;
      let option = Array.from(field.options).find((o) => o.value === String(id));
      if (!option) {
        option = new Option(label, id);
        field.add(option);
      }
      if (field.value !== String(id)) {
        field.value = String(id);
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    } else {
      field.value = id;
    }
  }

  async function suggest(input) {
    const text = input.value.trim();
    const list = document.getElementById(input.getAttribute("list"));
    if (!list || text.length < MIN_LENGTH) return;
    const url = new URL(input.dataset.typeahead, window.location.href);
    url.searchParams.set("q", text);
    if (input.dataset.typeaheadKind) url.searchParams.set("kind", input.dataset.typeaheadKind);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok || input.value.trim() !== text) return;
    const { results } = await response.json();
    const names = new Map();
    list.replaceChildren(
      ...results.map((result) => {
        names.set(result.name, names.has(result.name) ? null : result);
        const option = document.createElement("option");
        option.value = result.name;
        option.label = result.label;
        return option;
      }),
    );
    found.set(input, names);
    matched(input);
  }

  function matched(input) {
    const result = (found.get(input) || new Map()).get(input.value);
    if (result) choose(input, result.id, result.label);
    else if (target(input) && target(input).tagName !== "SELECT") target(input).value = "";
  }

  const timers = new WeakMap();
  document.addEventListener("input", (event) => {
    const input = event.target.closest("input[data-typeahead]");
    if (!input) return;
    matched(input);
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(() => suggest(input), DELAY_MS));
  });
})();
