/* The book's chart drawing, bundled with Vega and Vega-Lite (no Vega-Embed: 0.27 MB lighter).
 *
 * window.iijbookDraw(selector, spec) compiles a Vega-Lite spec and draws it as SVG in the element.
 * A chart drawn wider than its column is drawn again to fit: titles wrap, a row of facets becomes
 * a column, and every width in the spec shrinks by what overflowed. The same happens again when
 * the window is resized. What still overflows after that is scaled down by the stylesheet.
 * A range slider whose spec carries usermeta.iijbook.bindingLabels[param] shows those labels
 * (e.g. a month) instead of its raw number.
 */
window.iijbookDraw = (function () {
  var measure = document.createElement("canvas").getContext("2d");

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  /* Text broken into lines no wider than maxPx in the given CSS font. */
  function wrapText(text, maxPx, font) {
    if (Array.isArray(text)) text = text.join(" ");
    measure.font = font;
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      var longer = line ? line + " " + w : w;
      if (line && measure.measureText(longer).width > maxPx) { lines.push(line); line = w; }
      else { line = longer; }
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : lines[0] || "";
  }

  function fontOf(spec, part, size, weight) {
    var config = spec.config || {};
    var family = (config[part] || {}).font || config.font || "sans-serif";
    return weight + " " + ((config[part] || {}).fontSize || size) + "px " + family;
  }

  /* The chart's title, subtitle and x-axis titles wrapped to the width. */
  function wrapTitles(spec, width) {
    var title = spec.title;
    if (title) {
      if (typeof title === "string" || Array.isArray(title)) title = spec.title = { text: title };
      title.text = wrapText(title.text, width - 8, fontOf(spec, "title", 13, "bold"));
      if (title.subtitle) title.subtitle = wrapText(title.subtitle, width - 8, fontOf(spec, "title", 12, "normal"));
    }
    var axisFont = fontOf(spec, "axis", 11, "bold");
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      var x = node.encoding && node.encoding.x;
      if (x && typeof x.title === "string") x.title = wrapText(x.title, width - 80, axisFont);
      ["layer", "vconcat", "hconcat", "concat"].forEach(function (k) { (node[k] || []).forEach(walk); });
      walk(node.spec);
    })(spec);
  }

  /* A row of facets or of charts becomes a column, so each panel gets the full width. */
  function stackPanels(spec) {
    if (spec.facet && spec.facet.column && !spec.facet.row) {
      spec.facet = spec.facet.column;
      spec.columns = 1;
    } else if (spec.hconcat) {
      spec.vconcat = spec.hconcat;
      delete spec.hconcat;
    } else if (spec.concat) {
      spec.columns = 1;
    }
  }

  function isComposite(spec) {
    return ["facet", "hconcat", "vconcat", "concat", "repeat"].some(function (k) { return k in spec; });
  }

  /* Shrink every panel's width by `by` pixels (not below 120); a panel without a width of its
   * own has the theme's continuousWidth. */
  function shrink(spec, by, base) {
    if (!spec || typeof spec !== "object") return;
    if (spec.layer || spec.mark) {
      var width = typeof spec.width === "number" ? spec.width : base;
      spec.width = Math.max(120, width - by);
      return;
    }
    shrink(spec.spec, by, base);
    ["vconcat", "hconcat", "concat"].forEach(function (k) {
      (spec[k] || []).forEach(function (s) { shrink(s, by, base); });
    });
  }

  function labelBindings(el, spec, view) {
    var meta = (spec.usermeta && spec.usermeta.iijbook) || {};
    var labels = meta.bindingLabels || {};
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
      view.addSignalListener(name, update);
      update();
    });
  }

  function render(el, spec) {
    var vgSpec = vegaLite.compile(spec).spec;
    var view = new vega.View(vega.parse(vgSpec), { renderer: "svg", container: el, hover: true, logLevel: vega.Warn });
    return view.runAsync().then(function () { labelBindings(el, spec, view); return view; });
  }

  /* The width the chart was drawn at (the stylesheet may be scaling it down on screen). */
  function svgWidth(el) {
    var svg = el.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width : 0;
  }

  /* Title and axis-title texts that run past the chart's edge: their words, width and font. */
  function cutTexts(el) {
    var svg = el.querySelector("svg");
    if (!svg) return [];
    var box = svg.getBoundingClientRect();
    var scale = box.width / (svgWidth(el) || box.width);
    var texts = svg.querySelectorAll(".role-title-text text, .role-title-subtitle text, .role-axis-title text");
    var cut = [];
    texts.forEach(function (t) {
      if (/rotate/.test(t.getAttribute("transform") || "")) return; // a y-axis title runs up the side
      var r = t.getBoundingClientRect();
      var over = Math.max(r.right - box.right, box.left - r.left) / scale;
      if (over <= 1) return;
      var spans = t.querySelectorAll("tspan");
      var words = spans.length ? [].map.call(spans, function (s) { return s.textContent; }).join(" ") : t.textContent;
      var font = (t.getAttribute("font-weight") || "normal") + " " + (t.getAttribute("font-size") || "12px") +
        " " + (t.getAttribute("font-family") || "sans-serif");
      // a centred text must lose twice what overflows on one side
      var sides = t.getAttribute("text-anchor") === "middle" ? 2 : 1;
      cut.push({ words: words, maxPx: Math.max(80, r.width / scale - sides * over - 8), font: font });
    });
    return cut;
  }

  /* True if a legend's entries run past the chart's right edge. */
  function legendCut(el) {
    var svg = el.querySelector("svg");
    if (!svg) return false;
    var right = svg.getBoundingClientRect().right;
    return [].some.call(svg.querySelectorAll(".role-legend-label text, .role-legend-title text"), function (t) {
      return t.getBoundingClientRect().right > right + 1;
    });
  }

  /* Wrap every title in the spec that reads `words` to maxPx; true if one changed. */
  function rewrap(spec, words, maxPx, font) {
    var changed = false;
    function same(t) { return (Array.isArray(t) ? t.join(" ") : String(t)) === words; }
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      Object.keys(node).forEach(function (k) {
        var v = node[k];
        if (k === "title" || k === "text" || k === "subtitle") {
          if ((typeof v === "string" || Array.isArray(v)) && same(v)) {
            var wrapped = wrapText(v, maxPx, font);
            if (JSON.stringify(wrapped) !== JSON.stringify(v)) { node[k] = wrapped; changed = true; }
            return;
          }
        }
        if (v && typeof v === "object") walk(v);
      });
    })(spec);
    return changed;
  }

  function draw(selector, spec) {
    var el = typeof selector === "string" ? document.querySelector(selector) : selector;
    var current = null, lastWidth = -1;

    function redraw(s) {
      if (current) { current.finalize(); el.innerHTML = ""; }
      return render(el, s).then(function (view) { current = view; return view; });
    }

    /* Draw again until the chart fits: shrink a composite's panels by what overflows, wrap any
     * title still cut at the edge (at most three rounds). */
    function refit(fitted, width, round) {
      return redraw(fitted).then(function (view) {
        if (round >= 3) return view;
        var changed = false;
        var over = svgWidth(el) - width;
        if (over > 1 && isComposite(fitted)) {
          shrink(fitted, Math.ceil(over) + 4, ((fitted.config || {}).view || {}).continuousWidth || 300);
          changed = true;
        }
        var legend = (fitted.config || {}).legend || {};
        if ((over > 1 || legendCut(el)) && legend.direction !== "vertical") {
          // legends side by side under the chart can be wider than it: list each one's entries down
          fitted.config = fitted.config || {};
          fitted.config.legend = Object.assign({}, fitted.config.legend, { direction: "vertical" });
          changed = true;
        }
        cutTexts(el).forEach(function (cut) {
          if (rewrap(fitted, cut.words, cut.maxPx, cut.font)) changed = true;
        });
        return changed ? refit(fitted, width, round + 1) : view;
      });
    }

    function paint() {
      var width = el.clientWidth;
      if (!width || width === lastWidth) return Promise.resolve();
      lastWidth = width;
      return redraw(spec).then(function (view) {
        if (svgWidth(el) <= width + 1 && !cutTexts(el).length && !legendCut(el)) return view;
        // too wide for its column: wrap the title; a single chart is fitted to the width,
        // a composite one has its panels stacked; then refit until nothing is cut
        var fitted = clone(spec);
        wrapTitles(fitted, width);
        if (!isComposite(fitted)) {
          fitted.width = width;
          fitted.autosize = { type: "fit-x", contains: "padding" };
        } else {
          stackPanels(fitted);
        }
        return refit(fitted, width, 0);
      }).catch(function (err) { console.error("chart " + el.id + ": " + err); });
    }
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(paint, 150);
    });
    return paint();
  }

  return draw;
})();
window.dispatchEvent(new Event("vega-ready"));
