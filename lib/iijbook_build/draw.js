/* window.iijbookDraw(selector, spec): a chart drawn as SVG by Vega-Embed, its spec sized to its column
 * (iijbook_build.sphinxext.fit_to_column). Here is what a spec cannot say: Vega's fit run again until
 * the plot's width settles (one pass leaves labels past the edge), after each drawing and when the
 * column's width changes (data-fitted set then); a row of charts narrower than usermeta.iijbook.minWidth
 * drawn as its .narrow, sliders kept; a slider's .bindingLabels shown (a month, not a number). */
window.iijbookDraw = function (selector, spec) {
  var OPTIONS = { renderer: "svg", actions: false, defaultStyle: false, logLevel: vega.Warn };
  var el = typeof selector === "string" ? document.querySelector(selector) : selector;
  var meta = (spec.usermeta && spec.usermeta.iijbook) || {};
  var shown = null, drawing = Promise.resolve(null), timer;
  if (meta.maxWidth) el.style.maxWidth = meta.maxWidth + "px";
  var width = el.clientWidth;

  function labelBindings(view) {
    Object.keys(meta.bindingLabels || {}).forEach(function (name) {
      var input = el.querySelector('input[type="range"][name="' + name + '"]');
      if (!input) return;
      function update() {
        var text = meta.bindingLabels[name][Number(input.value)];
        if (text === undefined) return;
        if (input.nextElementSibling) input.nextElementSibling.textContent = text;
        input.setAttribute("aria-valuetext", text);
      }
      input.addEventListener("input", update);
      input.addEventListener("change", update); // Vega writes the raw number on release
      view.addSignalListener(name, update);
      update();
    });
  }

  /* Vega's fit again from the column's width until the plot's width settles (eight passes at most). */
  function settle(result) {
    var view = result.view;
    if (!result.spec.autosize) return view.runAsync().then(function () { return result; });
    view.signal("width", el.clientWidth); // what Vega's containerSize() reads on a window resize
    return (function pass(n) {
      var before = view.signal("width");
      return view.resize().runAsync().then(function () {
        return n > 1 && Math.abs(view.signal("width") - before) >= 1 ? pass(n - 1) : result;
      });
    })(8);
  }

  /* Draw the layout the column's width calls for, or fit the one drawn to the column again. */
  function paint() {
    el.removeAttribute("data-fitted");
    var layout = meta.narrow && el.clientWidth < meta.minWidth ? "narrow" : "wide";
    var again = layout === shown;
    shown = layout;
    drawing = drawing.then(function (before) {
      if (again && before) return settle(before);
      var kept = {};
      if (before) {
        (spec.params || []).forEach(function (p) { if (p.bind) kept[p.name] = before.view.signal(p.name); });
        before.finalize();
      }
      var chosen = layout === "narrow" ? Object.assign({ datasets: spec.datasets }, meta.narrow) : spec;
      return vegaEmbed(el, chosen, OPTIONS).then(function (result) {
        Object.keys(kept).forEach(function (name) { result.view.signal(name, kept[name]); });
        return settle(result).then(function () { labelBindings(result.view); return result; });
      });
    }).then(function (result) {
      el.setAttribute("data-fitted", "");
      return result;
    }).catch(function (err) { console.error("chart " + el.id + ": " + err); return null; });
    return drawing;
  }

  new ResizeObserver(function () {
    if (el.clientWidth === width) return;
    width = el.clientWidth;
    clearTimeout(timer);
    timer = setTimeout(paint, 150); // once the column has settled
  }).observe(el);
  return paint();
};
window.dispatchEvent(new Event("vega-ready"));
