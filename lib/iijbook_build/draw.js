/* The book's charts, drawn by Vega-Embed from the local bundle (no network).
 *
 * window.iijbookDraw(selector, spec) embeds a Vega-Lite spec as SVG. The spec sizes itself to
 * its column (iijbook_build.bundle.fit_to_column: width "container", autosize "fit-x", titles
 * and legends chosen by width). What the spec cannot do is here:
 * - Vega fits a chart in one pass, with its labels where they were before the plot narrowed: a
 *   label that moves with the plot can end past the edge. The fit is run again until the
 *   plot's width settles (a few passes), after each drawing and when the column's width changes;
 * - a row of charts or facets that does not fit its column is drawn as the column of charts
 *   in usermeta.iijbook.narrow (wider than usermeta.iijbook.minWidth, as its author laid it out),
 *   chosen again when the column's width changes, sliders and menus kept where the reader left them;
 * - a range slider whose spec carries usermeta.iijbook.bindingLabels[param] shows those labels
 *   (e.g. a month) instead of its raw number.
 */
window.iijbookDraw = (function () {
  var OPTIONS = { renderer: "svg", actions: false, defaultStyle: false, logLevel: vega.Warn };

  function meta(spec) { return (spec.usermeta && spec.usermeta.iijbook) || {}; }

  function labelBindings(el, spec, view) {
    var labels = meta(spec).bindingLabels || {};
    Object.keys(labels).forEach(function (name) {
      var input = el.querySelector('input[type="range"][name="' + name + '"]');
      if (!input) return;
      var shown = input.nextElementSibling;
      function update() {
        var text = labels[name][Number(input.value)];
        if (text === undefined) return;
        if (shown) shown.textContent = text;
        input.setAttribute("aria-valuetext", text);
      }
      input.addEventListener("input", update);
      input.addEventListener("change", update); // Vega writes the raw number on release
      view.addSignalListener(name, update);
      update();
    });
  }

  /* Vega's fit again, from the column's width, until the plot's width stops changing (eight passes
   * at most); a chart of fixed size is only run. */
  function settle(el, result) {
    var view = result.view;
    if (!result.spec.autosize) return view.runAsync();
    view.signal("width", el.clientWidth); // what Vega's containerSize() reads on a window resize
    return (function pass(n) {
      var before = view.signal("width");
      return view.resize().runAsync().then(function () {
        return n > 1 && Math.abs(view.signal("width") - before) >= 1 ? pass(n - 1) : view;
      });
    })(8);
  }

  /* A new drawing of `chosen` in el, with the sliders and menus of the one `before` it kept. */
  function embed(el, spec, chosen, before) {
    var kept = {};
    if (before) {
      (spec.params || []).forEach(function (p) { if (p.bind) kept[p.name] = before.view.signal(p.name); });
      before.finalize();
    }
    return vegaEmbed(el, chosen, OPTIONS).then(function (result) {
      Object.keys(kept).forEach(function (name) { result.view.signal(name, kept[name]); });
      return settle(el, result).then(function () {
        labelBindings(el, spec, result.view);
        return result;
      });
    });
  }

  function draw(selector, spec) {
    var el = typeof selector === "string" ? document.querySelector(selector) : selector;
    var narrow = meta(spec).narrow, shown = null, drawing = Promise.resolve(null), width, timer;
    if (meta(spec).maxWidth) el.style.maxWidth = meta(spec).maxWidth + "px"; // about its author's width
    width = el.clientWidth;

    /* Draw the layout the column's width calls for, or fit the one drawn to the column again;
     * the element carries data-fitted once the chart is drawn to its column's present width. */
    function paint() {
      el.removeAttribute("data-fitted");
      var layout = narrow && el.clientWidth < meta(spec).minWidth ? "narrow" : "wide";
      var chosen = layout === "narrow" ? Object.assign({ datasets: spec.datasets }, narrow) : spec;
      var again = layout === shown;
      shown = layout;
      drawing = drawing.then(function (result) {
        if (again && result) return settle(el, result).then(function () { return result; });
        return embed(el, spec, chosen, result);
      }).then(function (result) {
        el.setAttribute("data-fitted", "");
        return result;
      }).catch(function (err) { console.error("chart " + el.id + ": " + err); return null; });
      return drawing;
    }

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (el.clientWidth === width) return;
        width = el.clientWidth;
        clearTimeout(timer);
        timer = setTimeout(paint, 150); // once the column has settled
      }).observe(el);
    }
    return paint();
  }

  return draw;
})();
window.dispatchEvent(new Event("vega-ready"));
